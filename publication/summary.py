"""Print what the warehouse holds after a run: each landed table with its file, the company registry, and the
qualification: status counts, the best leads with their reasons, the top net-new target accounts. In French by
default (numbers as "1 234", "12 %"), English by LEADS_LANGUAGE=en."""

from __future__ import annotations

import datetime as dt
import json
import sys

from publication import mart_report
from publication.publish import last_build_at
from publication.report import REPORT_DIR, backtest_summary, headlines, too_little_history
from publication.wording import number, say
from ingestion.settings import load_settings
from ingestion.warehouse import connect, table_exists

TOP_LEADS = 5
REASON_WIDTH = 150  # one terminal line per part of the reasons; the mart holds them whole


def main() -> int:
    settings = load_settings()
    if not settings.is_motherduck and not settings.duckdb_path.exists():
        print(f"no warehouse at {settings.duckdb_path}: run `make run` first", file=sys.stderr)
        return 1
    language = settings.language
    with connect(settings, read_only=True) as con:
        print("\n" + say("Warehouse {path}", language, path=settings.duckdb_path))
        if table_exists(con, "raw", "_load_log"):
            print_landed(con, language)
        if table_exists(con, "intermediate", "int_companies"):
            companies, active, protected, individuals, with_revenue = con.execute("""
                select count(*), count(*) filter (where is_active), count(*) filter (where not is_diffusible),
                       count(*) filter (where is_individual_entrepreneur), count(revenue_eur)
                from intermediate.int_companies""").fetchone()
            print(say("Registry: {companies} companies, {active} active; {protected} with protected data, "
                      "{individuals} individual entrepreneurs, {revenue} with a known revenue", language,
                      companies=number(companies, 0, language), active=number(active, 0, language),
                      protected=number(protected, 0, language), individuals=number(individuals, 0, language),
                      revenue=number(with_revenue, 0, language)))
        if table_exists(con, "intermediate", "int_crm__company_matches"):
            methods = con.execute("""select match_method, count(*) from intermediate.int_crm__company_matches
                                     group by 1 order by 2 desc""").fetchall()
            print(say("CRM companies matched to the registry: {total} — {methods}", language,
                      total=number(sum(n for _, n in methods), 0, language),
                      methods=", ".join(f"{method} {number(n, 0, language)}" for method, n in methods)))
        if table_exists(con, "intermediate", "int_intent__web_events"):
            events, identified, retro, known, by_domain = con.execute("""
                select count(*), count(email), count(*) filter (where is_attributed_retroactively),
                       count(*) filter (where is_known_person), count(domain_siren)
                from intermediate.int_intent__web_events""").fetchone()
            print(say("Web events: {events}; {identified} identified ({retro} retroactively), {known} of CRM people, "
                      "{domain} tied to a company by its domain", language, events=number(events, 0, language),
                      identified=number(identified, 0, language), retro=number(retro, 0, language),
                      known=number(known, 0, language), domain=number(by_domain, 0, language)))
        if table_exists(con, "marts", "qualified_leads"):
            print_qualification(con, language)
        if table_exists(con, "marts", "backtest_summary"):
            print_backtest(con, language)
        built_at = last_build_at(con)
    print_publication(settings, built_at, language)
    return 0


def print_landed(con, language: str = "fr") -> None:
    # feeds append file by file: count their files; registry tables and the CRM are replaced whole
    rows = con.execute("""
        select table_name, count(*), arg_max(file_name, finished_at),
               case when table_name in ('web_events', 'email_events', 'signals', 'bodacc')
                    then sum(rows_loaded) else arg_max(rows_loaded, finished_at) end,
               sum(rows_quarantined), max(finished_at)::timestamp(0)
        from raw._load_log group by table_name order by 1""").fetchall()
    print(say("Landed (table: rows, quarantined, last file, when):", language))
    for table, loads, last_file, landed, quarantined, at in rows:
        files = say("{count} files, last ", language, count=number(loads, 0, language)) if loads > 1 else ""
        print("  " + say("{table}: {rows} rows, {quarantined} quarantined — {files}{file}, {at}", language,
                         table=table, rows=number(landed, 0, language), quarantined=number(quarantined, 0, language),
                         files=files, file=_short(last_file, 40), at=at))


def _short(text: str, width: int) -> str:
    return text if len(text) <= width else text[:width - 1] + "…"


def print_publication(settings, built_at, language: str = "fr") -> None:
    manifest = settings.publish_dir / "publication.json"
    if not manifest.exists():
        print("\n" + say("Not published for BI tools yet: `make materialize` publishes the marts.", language))
        return
    published = json.loads(manifest.read_text())
    print("\n" + say("Published for BI tools (as of {as_of}, {published_at}): {database} and {parquet}/", language,
                     as_of=published["as_of"], published_at=published["published_at"],
                     database=settings.publish_dir / published["database"], parquet=settings.publish_dir / "parquet"))
    source_build = published.get("warehouse_built_at")
    if built_at is not None and (source_build is None or built_at > dt.datetime.fromisoformat(source_build)):
        print("  " + say("The warehouse was rebuilt at {built_at} (UTC), after the build this publication shows "
                         "({source}): BI tools still read the older one. Run `make materialize` to publish it.",
                         language, built_at=built_at, source=source_build or say("unknown", language)))
    failed = published.get("failed_checks") or []
    if failed:
        print("  " + say("{count} check(s) failed in the run that published it (warnings: published anyway):",
                         language, count=len(failed)))
        for check in failed:
            print(f"    - {check}")
    print_crm_push(settings, language)
    page = settings.publish_dir / REPORT_DIR / "index.html"
    if page.exists():
        print(say("Does qualification work? Charts and findings: {page}", language, page=page))


def print_crm_push(settings, language: str = "fr") -> None:
    """What the CRM push did: the would-be changes of a dry run, or how many leads' scores the CRM holds."""
    dry_run = settings.publish_dir / "crm_push_dry_run.csv"
    if settings.crm_push == "dry_run" and dry_run.exists():
        with dry_run.open(encoding="utf-8") as fh:
            count = sum(1 for _ in fh) - 1
        print(say("CRM push: {count} leads changed since the last push, written to {file} (dry run: nothing sent; "
                  "LEADS_CRM_PUSH=on sends them)", language, count=number(count, 0, language), file=dry_run))
    elif settings.crm_push == "on":
        with connect(settings, read_only=True) as con:
            if table_exists(con, "crm_sync", "pushed_scores"):
                count = con.execute("select count(*) from crm_sync.pushed_scores").fetchone()[0]
                print(say("CRM push: the scores of {count} leads are in the CRM", language,
                          count=number(count, 0, language)))


def print_qualification(con, language: str = "fr") -> None:
    as_of = con.execute("select max(as_of) from marts.qualified_leads").fetchone()[0]
    counts = mart_report.status_counts(con)
    print("\n" + say("Qualified leads as of {as_of}: {people} people — {counts}; {contactable} contactable", language,
                     as_of=as_of, people=number(sum(counts.values()), 0, language),
                     counts=", ".join(f"{say(status, language)} {number(count, 0, language)}"
                                     for status, count in counts.items()),
                     contactable=number(mart_report.contactable_leads(con), 0, language)))
    print(say("Top leads (not disqualified, highest lead score first):", language))
    for rank, row in enumerate(mart_report.top_leads(con, limit=TOP_LEADS), start=1):
        lead = dict(zip(mart_report.TOP_LEAD_COLUMNS, row))
        scores = say("lead score {score} (fit {fit}, engagement {engagement}, intent {intent})", language,
                     score=lead["lead_score"], fit=lead["fit"], engagement=lead["engagement"], intent=lead["intent"])
        print(f"{rank:>3}. {lead['name']} — {lead['company']} [{lead['lead_id']}] {lead['status'].upper()} {scores}"
              + ("" if lead["contactable"] else say(" — not contactable", language)))
        for part in lead["score_reasons"].split(" | "):
            print(f"       {_short(part, REASON_WIDTH)}")
    if table_exists(con, "marts", "target_accounts"):
        total = con.execute("select count(*) from marts.target_accounts").fetchone()[0]
        print("\n" + say("Net-new target accounts (registry, not in the CRM): {total}", language,
                         total=number(total, 0, language))
              + say("; the first five:" if total else " (they need the establishments stock for their location, "
                    "and fit from the ICP seeds)", language))
        for row in mart_report.top_targets(con, limit=5):
            target = dict(zip(mart_report.TOP_TARGET_COLUMNS, row))
            print(f"{target['rank']:>3}. {target['company']} ({target['siren']}), {target['naf']}, "
                  f"{target['headcount']}, {target['région']} — "
                  + say("target score {score}", language, score=number(target["target_score"], 0, language)))



def print_backtest(con, language: str = "fr") -> None:
    con.execute("use marts")
    try:
        summary = backtest_summary(con)
        as_of = con.execute("select max(as_of) from qualified_leads").fetchone()[0]
        reason = too_little_history(con, as_of, language) if summary is None and as_of else None
        lines = headlines(con, summary, language, reason or "")
    finally:
        con.execute("use main")
    if summary is None and reason is None:
        return
    print("\n" + say("Backtest (does the scoring find the buyers?):", language))
    for line in lines:
        print(f"  - {line}")


if __name__ == "__main__":
    sys.exit(main())
