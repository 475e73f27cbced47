"""Print what the warehouse holds after a run: each landed table with its file, the company registry, and the
qualification: status counts, the best leads with their reasons, the top net-new target accounts."""

from __future__ import annotations

import datetime as dt
import json
import sys

from publication import mart_report
from publication.publish import last_build_at
from publication.report import REPORT_DIR, backtest_summary, headlines, too_little_history
from ingestion.settings import load_settings
from ingestion.warehouse import connect, table_exists

TOP_LEADS = 5
REASON_WIDTH = 150  # one terminal line per part of the reasons; the mart holds them whole


def main() -> int:
    settings = load_settings()
    if not settings.is_motherduck and not settings.duckdb_path.exists():
        print(f"no warehouse at {settings.duckdb_path}: run `make run` first", file=sys.stderr)
        return 1
    with connect(settings, read_only=True) as con:
        print(f"\nWarehouse {settings.duckdb_path}")
        if table_exists(con, "raw", "_load_log"):
            print_landed(con)
        if table_exists(con, "intermediate", "int_companies"):
            companies, active, protected, individuals, with_revenue = con.execute("""
                select count(*), count(*) filter (where is_active), count(*) filter (where not is_diffusible),
                       count(*) filter (where is_individual_entrepreneur), count(revenue_eur)
                from intermediate.int_companies""").fetchone()
            print(f"Registry: {companies:,} companies, {active:,} active; {protected:,} with protected data, "
                  f"{individuals:,} individual entrepreneurs, {with_revenue:,} with a known revenue")
        if table_exists(con, "intermediate", "int_crm__company_matches"):
            methods = con.execute("""select match_method, count(*) from intermediate.int_crm__company_matches
                                     group by 1 order by 2 desc""").fetchall()
            print(f"CRM companies matched to the registry: {sum(n for _, n in methods):,} — "
                  + ", ".join(f"{method} {n:,}" for method, n in methods))
        if table_exists(con, "intermediate", "int_intent__web_events"):
            events, identified, retro, known, by_domain = con.execute("""
                select count(*), count(email), count(*) filter (where is_attributed_retroactively),
                       count(*) filter (where is_known_person), count(domain_siren)
                from intermediate.int_intent__web_events""").fetchone()
            print(f"Web events: {events:,}; {identified:,} identified ({retro:,} retroactively), {known:,} of CRM "
                  f"people, {by_domain:,} tied to a company by its domain")
        if table_exists(con, "marts", "qualified_leads"):
            print_qualification(con)
        if table_exists(con, "marts", "backtest_summary"):
            print_backtest(con)
        built_at = last_build_at(con)
    print_publication(settings, built_at)
    return 0


def print_landed(con) -> None:
    # feeds append file by file: count their files; registry tables and the CRM are replaced whole
    rows = con.execute("""
        select table_name, count(*), arg_max(file_name, finished_at),
               case when table_name in ('web_events', 'email_events', 'signals', 'bodacc')
                    then sum(rows_loaded) else arg_max(rows_loaded, finished_at) end,
               sum(rows_quarantined), max(finished_at)::timestamp(0)
        from raw._load_log group by table_name order by 1""").fetchall()
    print("Landed (table: rows, quarantined, last file, when):")
    for table, loads, last_file, landed, quarantined, at in rows:
        files = f"{loads} files, last " if loads > 1 else ""
        print(f"  {table}: {landed:,} rows, {quarantined:,} quarantined — {files}{_short(last_file, 40)}, {at}")


def _short(text: str, width: int) -> str:
    return text if len(text) <= width else text[:width - 1] + "…"


def print_publication(settings, built_at) -> None:
    manifest = settings.publish_dir / "publication.json"
    if not manifest.exists():
        print("\nNot published for BI tools yet: `make materialize` publishes the marts.")
        return
    published = json.loads(manifest.read_text())
    print(f"\nPublished for BI tools (as of {published['as_of']}, {published['published_at']}): "
          f"{settings.publish_dir / published['database']} and {settings.publish_dir / 'parquet'}/")
    source_build = published.get("warehouse_built_at")
    if built_at is not None and (source_build is None or built_at > dt.datetime.fromisoformat(source_build)):
        print(f"  The warehouse was rebuilt at {built_at} (UTC), after the build this publication shows "
              f"({source_build or 'unknown'}): BI tools still read the older one. Run `make materialize` to "
              f"publish it.")
    failed = published.get("failed_checks") or []
    if failed:
        print(f"  {len(failed)} check(s) failed in the run that published it (warnings: published anyway):")
        for check in failed:
            print(f"    - {check}")
    page = settings.publish_dir / REPORT_DIR / "index.html"
    if page.exists():
        print(f"Does qualification work? Charts and findings: {page}")


def print_qualification(con) -> None:
    as_of = con.execute("select max(as_of) from marts.qualified_leads").fetchone()[0]
    counts = mart_report.status_counts(con)
    print(f"\nQualified leads as of {as_of}: {sum(counts.values()):,} people — "
          + ", ".join(f"{status} {count:,}" for status, count in counts.items())
          + f"; {mart_report.contactable_leads(con):,} contactable")
    print("Top leads (not disqualified, highest lead score first):")
    for rank, row in enumerate(mart_report.top_leads(con, limit=TOP_LEADS), start=1):
        lead = dict(zip(mart_report.TOP_LEAD_COLUMNS, row))
        print(f"{rank:>3}. {lead['name']} — {lead['company']} [{lead['lead_id']}] {lead['status'].upper()} "
              f"lead score {lead['lead_score']} (fit {lead['fit']}, engagement {lead['engagement']}, "
              f"intent {lead['intent']}){'' if lead['contactable'] else ' — not contactable'}")
        for part in lead["score_reasons"].split(" | "):
            print(f"       {_short(part, REASON_WIDTH)}")
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
