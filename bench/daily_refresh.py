"""National-scale benchmark of a daily refresh against a full rebuild.

    uv run python -m bench.daily_refresh [--work bench/data] [--skip-full]

On the national warehouse `make bench-matching` leaves in bench/data/warehouse_full.duckdb (registry, CRM, 50 M web
events landed), it times:

1. the full rebuild, as of 2026-11-26: every dbt model rebuilt from raw (`--full-refresh`, event logs included), the
   probabilistic matching between the two dbt phases, the backtest, the publication and the report;
2. the next day, as of 2026-11-27: landing one day of web and e-mail events (the last day's volume, about 125 k and
   23 k) and one day of API Sirene updates (20 k legal units, 30 k establishments), then what the daily refresh job
   runs — every model but matching, the CRM companies, latest revenue and the backtest (the `daily_refresh` job's
   selection, read from the Dagster definitions) —, the publication and the report.

Reports wall times, their ratio, each step, the slowest models and the peak RSS of dbt; results go to
bench/results/daily-refresh-<date>.json.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import sys
import time
from pathlib import Path

from bench.registry import REPO, RESULTS, national_memory_limit
from bench.scoring import _timed_dbt

DAY0 = "2026-11-26"


def models_not_in_the_daily_refresh() -> list[str]:
    """The dbt models the `daily_refresh` job leaves out (matching, the CRM models, latest revenue, the backtest):
    read from the Dagster definitions, so the benchmark times what the schedule runs."""
    os.environ["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"
    from orchestration.definitions import defs

    def dbt_models(job: str) -> set[str]:
        keys = defs.resolve_job_def(job).asset_layer.executable_asset_keys
        return {k.path[-1] for k in keys if k.path[0] in ("staging", "intermediate", "marts")}

    return sorted(dbt_models("all_assets") - dbt_models("daily_refresh"))


def _timed(step: dict, name: str, action) -> object:
    started = time.monotonic()
    result = action()
    step[name] = round(time.monotonic() - started, 1)
    print(f"{name}: {step[name]} s", file=sys.stderr, flush=True)
    return result


def write_next_day(con, zone: Path, updates_dir: Path, day: str) -> dict:
    """One day of events (the day before's, a day later, new ids) and one day of SIRENE updates."""
    before = (dt.date.fromisoformat(day) - dt.timedelta(days=1)).isoformat()
    web, mail = zone / "intent" / "web_events", zone / "intent" / "email_events"
    for folder in (web, mail, updates_dir):
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
    con.execute(f"""copy (
        select 'evt_' || replace('{day}', '-', '') || '_' || row_number() over () as event_id,
               strftime(occurred_at + interval 1 day, '%Y-%m-%dT%H:%M:%SZ') as occurred_at, visitor_id, email,
               company_domain, event_type, page_url, page_title, content_id, utm_source, utm_campaign
        from raw.web_events where occurred_at >= date '{before}' and occurred_at < date '{day}'
    ) to '{web / f"web-{day}.jsonl"}' (format json)""")
    con.execute(f"""copy (
        select 'sg_' || replace('{day}', '-', '') || '_' || row_number() over () as sg_event_id, email,
               epoch(occurred_at + interval 1 day)::bigint as "timestamp", event, sg_machine_open, url, category
        from raw.email_events where occurred_at >= date '{before}' and occurred_at < date '{day}'
    ) to '{mail / f"sendgrid-{day}.jsonl"}' (format json)""")
    # INSEE processes some 20 k legal units and 30 k establishments a day; a few of them cease
    con.execute(f"""copy (
        select * replace (timestamp '{day} 02:00:00' as dateDernierTraitementUniteLegale,
                          case when hash(siren) % 20 = 0 then 'C' else etatAdministratifUniteLegale end
                              as etatAdministratifUniteLegale)
        from raw.sirene_unites_legales using sample reservoir(20000 rows) repeatable (7)
    ) to '{updates_dir / f"{day}_unites_legales.csv"}' (header)""")
    con.execute(f"""copy (
        select * replace (timestamp '{day} 02:00:00' as dateDernierTraitementEtablissement)
        from raw.sirene_etablissements using sample reservoir(30000 rows) repeatable (7)
    ) to '{updates_dir / f"{day}_etablissements.csv"}' (header)""")
    return {"web_events": con.execute(f"select count(*) from read_json('{web}/*.jsonl')").fetchone()[0],
            "email_events": con.execute(f"select count(*) from read_json('{mail}/*.jsonl')").fetchone()[0],
            "sirene_updates": 50000}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--work", type=Path, default=REPO / "bench" / "data")
    parser.add_argument("--skip-full", action="store_true", help="reuse the full rebuild of an earlier run")
    parser.add_argument("--day", default="2026-11-27", help="the day whose files land (default 2026-11-27)")
    args = parser.parse_args(argv)
    work = args.work.resolve()
    warehouse = work / "warehouse_full.duckdb"
    if not warehouse.exists():
        raise SystemExit(f"{warehouse} does not exist: run `make bench-matching` first")
    os.environ.update({"LEADS_DUCKDB_PATH": str(warehouse), "LEADS_LANDING_DIR": str(work / "landing_full"),
                       "LEADS_PUBLISH_DIR": str(work / "published"), "LEADS_AS_OF": DAY0})
    import duckdb

    from ingestion.intent import land_feed
    from matching.probabilistic import score_crm_company_candidates
    from publication.publish import publish_marts
    from publication.report import write_report
    from ingestion.settings import load_settings
    from ingestion.sirene_api import land_daily_updates

    target = work / "dbt_target_daily"
    report: dict = {"date": dt.datetime.now().isoformat(timespec="seconds"),
                    "machine": {"cpus": os.cpu_count(), "platform": platform.platform(),
                                "memory_gb": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30),
                                "duckdb_memory_limit": national_memory_limit()}}
    full: dict = {}
    if not args.skip_full:
        settings = load_settings()
        # the seeds too: a full rebuild starts from the rules as committed (a warehouse older than a seed's new
        # column would fail the models that read it)
        full["dbt_seed"] = _timed_dbt("seed", "--full-refresh", target=target)
        full["dbt_before_matching"] = _timed_dbt("run", "--full-refresh", "--exclude", "source:matching+",
                                                 target=target)
        with duckdb.connect(str(warehouse)) as con:
            _timed(full, "splink_s", lambda: score_crm_company_candidates(con))
        full["dbt_after_matching"] = _timed_dbt("run", "--full-refresh", "--select", "source:matching+",
                                                target=target)
        _timed(full, "publish_s", lambda: publish_marts(settings))
        _timed(full, "report_s", lambda: write_report(settings))
        full["wall_s"] = round(full["dbt_seed"]["wall_s"] + full["dbt_before_matching"]["wall_s"] + full["splink_s"]
                               + full["dbt_after_matching"]["wall_s"] + full["publish_s"] + full["report_s"], 1)
        report["full_rebuild"] = full

    day = args.day
    os.environ["LEADS_AS_OF"] = day
    settings = load_settings()
    daily: dict = {}
    zone = work / "landing_next_day"
    with duckdb.connect(str(warehouse)) as con:
        report["next_day_rows"] = write_next_day(con, zone, zone / "sirene" / "updates", day)
        _timed(daily, "land_web_events_s", lambda: land_feed(con, zone, "web_events", as_of=dt.date.fromisoformat(day)))
        _timed(daily, "land_email_events_s",
               lambda: land_feed(con, zone, "email_events", as_of=dt.date.fromisoformat(day)))
        _timed(daily, "land_sirene_updates_s", lambda: land_daily_updates(con, zone / "sirene" / "updates"))
    not_daily = models_not_in_the_daily_refresh()
    report["models_left_to_other_runs"] = not_daily
    # as the daily refresh job runs it: today's date scored alone, through the environment as
    # orchestration/assets/dbt.py gives it (dbt keeps its partial parse; a changed --vars would reparse everything)
    os.environ["LEADS_SCORED_DATES"] = "today_only"
    try:
        daily["dbt"] = _timed_dbt("run", "--exclude", *not_daily, target=target)
    finally:
        del os.environ["LEADS_SCORED_DATES"]
    _timed(daily, "publish_s", lambda: publish_marts(settings))
    _timed(daily, "report_s", lambda: write_report(settings))
    daily["wall_s"] = round(sum(v for k, v in daily.items() if k.endswith("_s")) + daily["dbt"]["wall_s"], 1)
    report["daily_refresh"] = daily
    report["day"] = day
    if "full_rebuild" in report:
        report["daily_share_of_full"] = round(daily["wall_s"] / full["wall_s"], 3)
        report["target_5_percent_met"] = report["daily_share_of_full"] < 0.05
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"daily-refresh-{dt.date.today().isoformat()}{'' if 'full_rebuild' in report else '-' + day}.json"
    out.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    print(json.dumps({k: report.get(k) for k in ("next_day_rows", "daily_share_of_full", "target_5_percent_met")},
                     indent=2))
    print(f"full rebuild {full.get('wall_s')} s, daily refresh {daily['wall_s']} s — written to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
