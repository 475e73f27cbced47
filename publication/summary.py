"""Print what the warehouse holds after a run: each landed table with its file, the company registry, and the
qualification: status counts, the best leads with their reasons, the top net-new target accounts."""

from __future__ import annotations

import json
import sys

from publication import mart_report
from publication.report import REPORT_DIR, backtest_summary, headlines, too_little_history
from ingestion.settings import load_settings
from ingestion.warehouse import connect, table_exists


def main() -> int:
    settings = load_settings()
    if not settings.duckdb_path.exists():
        print(f"no warehouse at {settings.duckdb_path}: run `make run` first", file=sys.stderr)
        return 1
    with connect(settings, read_only=True) as con:
        print(f"\nWarehouse {settings.duckdb_path}\n")
        if table_exists(con, "raw", "_load_log"):
            # feeds append file by file: count their files; registry tables and the CRM are replaced whole
            print(con.sql("""
                select table_name as "table", count(*) as loads, arg_max(file_name, finished_at) as last_file,
                       case when table_name in ('web_events', 'email_events', 'signals', 'bodacc')
                            then sum(rows_loaded) else arg_max(rows_loaded, finished_at) end as rows,
                       sum(rows_quarantined) as quarantined, max(finished_at)::timestamp(0) as last_landed_at
                from raw._load_log group by table_name order by 1"""))
        if table_exists(con, "intermediate", "int_companies"):
            print(con.sql("""
                select count(*) as companies,
                       count(*) filter (where is_active) as active,
                       count(*) filter (where not is_diffusible) as protected,
                       count(*) filter (where is_individual_entrepreneur) as individual_entrepreneurs,
                       count(revenue_eur) as with_known_revenue
                from intermediate.int_companies"""))
            print(con.sql("""
                select region_name as region, count(*) as active_companies
                from intermediate.int_companies where is_active group by 1 order by 2 desc limit 5"""))
        if table_exists(con, "intermediate", "int_crm__company_matches"):
            print(con.sql("""
                select match_method, count(*) as crm_companies, round(avg(match_confidence), 3) as avg_confidence
                from intermediate.int_crm__company_matches group by 1 order by 2 desc"""))
        if table_exists(con, "intermediate", "int_intent__web_events"):
            print(con.sql("""
                select count(*) as web_events, count(email) as identified,
                       count(*) filter (where is_attributed_retroactively) as attributed_retroactively,
                       count(*) filter (where is_known_person) as of_known_people,
                       count(domain_siren) as tied_to_a_company_by_domain
                from intermediate.int_intent__web_events"""))
        if table_exists(con, "marts", "qualified_leads"):
            print_qualification(con)
        if table_exists(con, "marts", "backtest_summary"):
            print_backtest(con)
    manifest = settings.publish_dir / "publication.json"
    if manifest.exists():
        published = json.loads(manifest.read_text())
        print(f"\nPublished for BI tools (as of {published['as_of']}, {published['published_at']}): "
              f"{settings.publish_dir / published['database']} and {settings.publish_dir / 'parquet'}/")
    page = settings.publish_dir / REPORT_DIR / "index.html"
    if page.exists():
        print(f"Does qualification work? Charts and findings: {page}")
    return 0


def print_qualification(con) -> None:
    as_of = con.execute("select max(as_of) from marts.qualified_leads").fetchone()[0]
    counts = mart_report.status_counts(con)
    print(f"Qualified leads as of {as_of}: {sum(counts.values())} people")
    for status, count in counts.items():
        print(f"  {status:<13}{count:>8}")
    print(f"  {'contactable':<13}{mart_report.contactable_leads(con):>8}\n")
    print("Top leads (not disqualified, highest lead score first):")
    for rank, row in enumerate(mart_report.top_leads(con), start=1):
        lead = dict(zip(mart_report.TOP_LEAD_COLUMNS, row))
        print(f"{rank:>3}. {lead['name']} — {lead['company']} [{lead['lead_id']}] {lead['status'].upper()} "
              f"lead score {lead['lead_score']} (fit {lead['fit']}, engagement {lead['engagement']}, "
              f"intent {lead['intent']}){'' if lead['contactable'] else ' — not contactable'}")
        for part in lead["score_reasons"].split(" | "):
            print(f"       {part}")
    if table_exists(con, "marts", "target_accounts"):
        total = con.execute("select count(*) from marts.target_accounts").fetchone()[0]
        print(f"\nNet-new target accounts (registry, not in the CRM): {total}" + ("; the first five:" if total else
              " (they need the establishments stock for their location, and fit from the ICP seeds)"))
        for row in mart_report.top_targets(con, limit=5):
            target = dict(zip(mart_report.TOP_TARGET_COLUMNS, row))
            print(f"{target['rank']:>3}. {target['company']} ({target['siren']}), {target['naf']}, "
                  f"{target['headcount']}, {target['région']} — target score {target['target_score']}")



def print_backtest(con) -> None:
    con.execute("use marts")
    try:
        summary = backtest_summary(con)
        as_of = con.execute("select max(as_of) from qualified_leads").fetchone()[0]
        reason = too_little_history(con, as_of) if summary is None and as_of else None
    finally:
        con.execute("use main")
    if summary is None and reason is None:
        return
    print("\nBacktest (does the scoring find the buyers?):")
    for line in headlines(summary, reason or ""):
        print(f"  - {line}")


if __name__ == "__main__":
    sys.exit(main())
