"""National-scale benchmark of the backtest: 1 M CRM people scored at 26 weekly as-of dates.

    uv run python -m bench.backtest [--work bench/data]

Starts from the national warehouse that `make bench-matching` leaves in bench/data/warehouse_full.duckdb (registry,
CRM, intent feeds landed and matched), builds what the backtest reads when it is missing (scoring seeds, fit of the
registry, job titles, e-mail suppressions; not timed), then times `dbt run` of the backtest models and marts and
their dbt tests. Reports wall time, lead-dates per second, the peak memory of the dbt process and what the backtest
found (lift by decile, precision and recall, won accounts flagged before sales). Results go to
bench/results/backtest-<date>.json.
"""

from __future__ import annotations

import datetime as dt
import json
import sys

from bench.registry import RESULTS
from bench.scoring import _timed_dbt, national_warehouse

# the backtest's models and the per-date scoring models it replays (dbt_project/selectors.yml)
BACKTEST = ["--selector", "backtest"]
PREREQUISITES = ["int_companies__fit", "int_companies__in_crm", "int_crm__lead_verdicts", "int_scoring__job_titles",
                 "stg_intent__email_suppressions", "int_people__email_suppressions"]


def main(argv: list[str] | None = None) -> int:
    work, warehouse, report = national_warehouse(argv, __doc__, "replays")
    target = work / "dbt_target_backtest"
    import duckdb

    with duckdb.connect(str(warehouse), read_only=True) as con:
        missing = [m for m in PREREQUISITES if not con.execute(
            "select count(*) from information_schema.tables where table_name = ?", [m]).fetchone()[0]]
        has_ceased_on = con.execute("select count(*) from information_schema.columns where table_name = "
                                    "'int_companies' and column_name = 'ceased_on'").fetchone()[0]
    print("preparing: scoring seeds" + (f", {', '.join(missing)}" if missing else "")
          + ("" if has_ceased_on else ", int_companies (no ceased_on column yet)"), file=sys.stderr)
    report["prepare"] = _timed_dbt("seed", "--select", "path:seeds/scoring", target=target)
    if missing or not has_ceased_on:
        report["prepare_models"] = _timed_dbt(
            "run", "--select", *missing, *([] if has_ceased_on else ["int_companies"]), target=target)
    report["backtest"] = _timed_dbt("run", *BACKTEST, target=target)
    report["rerun"] = _timed_dbt("run", *BACKTEST, target=target)
    report["tests"] = _timed_dbt("test", *BACKTEST, target=target)
    with duckdb.connect(str(warehouse), read_only=True) as con:
        report["counts"] = dict(zip(["crm_people", "as_of_dates", "lead_dates", "person_dates_engaged", "web_events"],
                                    con.execute("""
            select (select count(*) from intermediate.int_crm__people),
                   (select count(*) from intermediate.int_backtest__as_of_dates),
                   (select count(*) from intermediate.int_backtest__lead_scores),
                   (select count(*) from intermediate.int_people__engagement
                    where as_of_date in (select as_of_date from intermediate.int_backtest__as_of_dates)),
                   (select count(*) from intermediate.int_intent__web_events)""").fetchone()))
        summary = con.execute("select * from marts.backtest_summary").fetchone()
        report["summary"] = {d[0]: (v.isoformat() if isinstance(v, dt.date) else v)
                             for d, v in zip(con.description, summary)}
        report["lift"] = [dict(zip(["decile", "lead_dates", "opportunities", "lift", "random_lift"], row))
                          for row in con.execute("select decile, lead_dates, opportunities, lift, random_lift "
                                                 "from marts.backtest_lift order by decile").fetchall()]
    seconds = max(report["backtest"]["wall_s"], report["rerun"]["wall_s"])
    report["lead_dates_per_s"] = round(report["counts"]["lead_dates"] / seconds)
    report["target_10_min_met"] = seconds + report["tests"]["wall_s"] < 600
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"backtest-{dt.date.today().isoformat()}.json"
    out.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    print(json.dumps({k: report[k] for k in ("counts", "summary", "lead_dates_per_s", "target_10_min_met")},
                     indent=2, ensure_ascii=False, default=str))
    print(f"backtest {report['backtest']['wall_s']} s, rerun {report['rerun']['wall_s']} s, tests "
          f"{report['tests']['wall_s']} s; peak RSS {report['backtest']['peak_rss_mb']} MB — written to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
