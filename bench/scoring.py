"""National-scale benchmark of scoring and qualification: 1 M CRM people, 50 M web events, the full registry.

    uv run python -m bench.scoring [--work bench/data]

Starts from the national warehouse that `make bench-matching` leaves in bench/data/warehouse_full.duckdb (registry,
CRM, intent feeds landed and matched), loads the scoring seeds and times `dbt run` of the scoring models and the four
marts (twice: the first run writes the whole status log, the second is a daily rerun), then their dbt tests, then
once more with the intent event models they read (web-event deduplication and attribution) rebuilt too.
Reports wall time, rows per second and the peak memory of the dbt process. Results go to
bench/results/scoring-<date>.json.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import subprocess
import sys
import threading
import time
from pathlib import Path

from bench.registry import REPO, RESULTS, national_memory_limit

DBT = str(Path(sys.executable).parent / "dbt")
SCORING = ["stg_intent__email_suppressions", "path:models/intermediate/scoring", "path:models/intermediate/funnel",
           "path:models/marts"]


def _rss_mb(pid: int) -> float:
    """Resident memory of a process and its children, from /proc (Linux)."""
    total = 0
    pending = [pid]
    while pending:
        current = pending.pop()
        try:
            status = Path(f"/proc/{current}/status").read_text()
            total += next(int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS:"))
            pending += [int(c) for c in Path(f"/proc/{current}/task/{current}/children").read_text().split()]
        except (FileNotFoundError, StopIteration, ProcessLookupError):
            continue
    return total / 1024


def _timed_dbt(*args: str, target: Path) -> dict:
    """Run dbt, sampling its RSS every 0.2 s; returns wall time, peak RSS and per-model times."""
    started = time.monotonic()
    proc = subprocess.Popen([DBT, *args, "--target-path", str(target)], cwd=REPO / "dbt_project",
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    peak = 0.0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, _rss_mb(proc.pid))
            time.sleep(0.2)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    output = []
    for line in proc.stdout:  # progress in the terminal as dbt reports it
        output.append(line)
        print(line, end="", file=sys.stderr, flush=True)
    proc.wait()
    done.set()
    sampler.join()
    if proc.returncode:
        raise SystemExit(f"dbt {' '.join(args)} failed; see the output above")
    results = json.loads((target / "run_results.json").read_text())["results"]
    return {"wall_s": round(time.monotonic() - started, 1), "peak_rss_mb": round(peak),
            "model_times_s": {r["unique_id"].split(".")[-1]: round(r["execution_time"], 1)
                              for r in sorted(results, key=lambda r: -r["execution_time"])
                              if r["unique_id"].startswith("model.")}}


def national_warehouse(argv: list[str] | None, doc: str, purpose: str) -> tuple[Path, Path, dict]:
    """The national warehouse `make bench-matching` leaves (its path set in the environment at the suite's as-of
    date) and a report started with the date and the machine."""
    parser = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--work", type=Path, default=REPO / "bench" / "data")
    work = parser.parse_args(argv).work.resolve()
    warehouse = work / "warehouse_full.duckdb"
    if not warehouse.exists():
        raise SystemExit(f"{warehouse} does not exist: run `make bench-matching` first (it builds the national "
                         f"warehouse this benchmark {purpose})")
    os.environ.update({"LEADS_DUCKDB_PATH": str(warehouse), "LEADS_AS_OF": "2026-11-26",
                       "LEADS_LANDING_DIR": str(work / "landing_full")})
    report = {"date": dt.datetime.now().isoformat(timespec="seconds"),
              "machine": {"cpus": os.cpu_count(), "platform": platform.platform(),
                          "memory_gb": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30),
                          "duckdb_memory_limit": national_memory_limit()}}
    return work, warehouse, report


def main(argv: list[str] | None = None) -> int:
    work, warehouse, report = national_warehouse(argv, __doc__, "scores")
    target = work / "dbt_target_scoring"
    # the log would otherwise keep the rows of an earlier benchmark run of the same as-of
    import duckdb

    with duckdb.connect(str(warehouse)) as con:
        con.execute("drop table if exists intermediate.int_leads__status_changes")
    report["seed"] = _timed_dbt("seed", "--select", "path:seeds/scoring", target=target)
    report["first_run"] = _timed_dbt("run", "--select", *SCORING, target=target)
    report["daily_rerun"] = _timed_dbt("run", "--select", *SCORING, target=target)
    report["tests"] = _timed_dbt("test", "--select", *SCORING, target=target)
    # the same, also rebuilding the event models the scoring reads (dedup and attribution of the 50 M web events)
    report["with_event_models"] = _timed_dbt(
        "run", "--select", "int_intent__web_events", "int_intent__email_events", "int_intent__signals",
        "int_intent__bodacc_events", *SCORING, target=target)
    with duckdb.connect(str(warehouse), read_only=True) as con:
        counts = con.execute("""
            select (select count(*) from marts.qualified_leads),
                   (select count(*) from intermediate.int_intent__web_events),
                   (select count(*) from intermediate.int_intent__email_events),
                   (select count(*) from intermediate.int_scoring__activities),
                   (select count(*) from intermediate.int_companies__fit),
                   (select count(*) from marts.account_scores),
                   (select count(*) from marts.target_accounts),
                   (select count(*) from marts.lead_status_history)""").fetchone()
        report["counts"] = dict(zip(["leads", "web_events", "email_events", "scored_activities",
                                     "registry_companies_fitted", "account_scores", "target_accounts",
                                     "status_history_rows"], counts))
        report["status_counts"] = dict(con.execute(
            "select status, count(*) from marts.qualified_leads group by 1 order by 2 desc").fetchall())
    seconds = report["daily_rerun"]["wall_s"]
    report["leads_per_s"] = round(report["counts"]["leads"] / seconds)
    report["events_per_s"] = round((report["counts"]["web_events"] + report["counts"]["email_events"]) / seconds)
    report["target_5_min_met"] = max(report["first_run"]["wall_s"], seconds) < 300
    report["target_8_gb_met"] = max(report["first_run"]["peak_rss_mb"], report["daily_rerun"]["peak_rss_mb"]) < 8192
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"scoring-{dt.date.today().isoformat()}.json"
    out.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    print(json.dumps({k: report[k] for k in ("counts", "status_counts", "leads_per_s", "events_per_s",
                                             "target_5_min_met", "target_8_gb_met")}, indent=2, ensure_ascii=False))
    print(f"first run {report['first_run']['wall_s']} s, daily rerun {seconds} s, tests {report['tests']['wall_s']} s, "
          f"with the event models {report['with_event_models']['wall_s']} s;"
          f" peak RSS {report['first_run']['peak_rss_mb']} MB — written to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
