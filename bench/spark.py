"""The same dbt project on Spark against DuckDB, on the same landed data, at a share of the national scale.

    uv run --group spark python -m bench.spark [--scale 0.1] [--work bench/data/spark] [--engines duckdb,spark]
                                               [--warehouse bench/data/warehouse_full.duckdb]

1. generates the landing zone at --scale (ingestion.sample_data; 0.1 = 2.9 M legal units, 4.2 M establishments,
   20 k CRM companies, 100 k people, 5 M web events) and runs the whole pipeline on DuckDB, as `make materialize` does
   (parsing, quarantine, gates, Splink matching, dbt, the model, the publication), timed;
2. exports the landed tables to the lake as Parquet (ingestion.lake), timed;
3. `dbt build --full-refresh` on DuckDB from its landed tables, then `dbt build` on Spark (`local[2]`, the profile's
   target `spark`) from the lake: every seed, model, data test and unit test, each timed with the peak RSS of dbt's
   process tree (Spark's JVM included) and its slowest models.

With --warehouse, step 1 is skipped: a warehouse already landed (the national one `make bench-matching` leaves)
is exported and built on both engines. Results go to bench/results/spark-<date>.json. `make test-spark` proves the
two engines give the same rows; this only measures.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from pathlib import Path

from bench.registry import REPO, RESULTS
from bench.scoring import _timed_dbt

AS_OF = "2026-11-26"


def _step(report: dict, name: str, command: list[str], env: dict) -> None:
    started = time.monotonic()
    print(f"== {name}", file=sys.stderr, flush=True)
    subprocess.run(command, cwd=REPO, env={**os.environ, **env}, check=True)
    report["steps_s"][name] = round(time.monotonic() - started, 1)
    print(f"{name}: {report['steps_s'][name]} s", file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=float, default=0.1)
    parser.add_argument("--work", type=Path, default=REPO / "bench" / "data" / "spark")
    parser.add_argument("--engines", default="duckdb,spark", help="which dbt builds to time (comma-separated)")
    parser.add_argument("--warehouse", type=Path, help="a landed warehouse to start from, instead of a new zone")
    args = parser.parse_args(argv)
    work = args.work.resolve()
    engines = [e for e in args.engines.split(",") if e]
    shutil.rmtree(work, ignore_errors=True)
    (work / "dagster_home").mkdir(parents=True)
    shutil.copy(REPO / "orchestration" / "dagster.yaml", work / "dagster_home" / "dagster.yaml")
    warehouse = args.warehouse.resolve() if args.warehouse else work / "warehouse.duckdb"
    env = {"LEADS_LANDING_DIR": str(work / "landing"), "LEADS_DUCKDB_PATH": str(warehouse),
           "LEADS_PUBLISH_DIR": str(work / "published"), "LEADS_LAKE_DIR": str(work / "lake"),
           "LEADS_AS_OF": AS_OF, "LEADS_CRM_PUSH": "off", "DAGSTER_HOME": str(work / "dagster_home"),
           "LEADS_SCORED_DATES": "with_backtest"}
    python = sys.executable
    report = {"date": dt.date.today().isoformat(), "scale": args.scale, "as_of": AS_OF,
              "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()},
              "steps_s": {}}
    if args.warehouse:
        report.update(scale=None, warehouse=str(warehouse))
    else:
        _step(report, "generate", [python, "-m", "ingestion.sample_data", "--scale", str(args.scale),
                                   "--sirene-format", "parquet", "--as-of", AS_OF], env)
        _step(report, "pipeline_on_duckdb", [python, "-m", "orchestration.materialize", "--job", "all_assets"], env)
    import duckdb

    from ingestion.lake import export_landed_tables

    started = time.monotonic()
    with duckdb.connect(env["LEADS_DUCKDB_PATH"], read_only=True) as con:
        written = export_landed_tables(con, work / "lake", log=lambda line: print(line, file=sys.stderr, flush=True))
    report["steps_s"]["lake_export"] = round(time.monotonic() - started, 1)
    report["lake_rows"] = sum(written.values())
    report["rows"] = {name: rows for name, rows in written.items() if name in (
        "raw.sirene_unites_legales", "raw.sirene_etablissements", "raw.crm_records", "raw.web_events",
        "raw.email_events")}
    print(f"lake export: {report['lake_rows']:,} rows in {report['steps_s']['lake_export']} s", file=sys.stderr)
    os.environ.update(env)
    for engine in engines:
        os.environ["LEADS_ENGINE"] = engine
        build = ["build", "--full-refresh"] if engine == "duckdb" else ["build"]
        print(f"== dbt {' '.join(build)} on {engine}", file=sys.stderr, flush=True)
        timed = _timed_dbt(*build, target=work / f"target_{engine}")
        timed["slowest_models_s"] = dict(list(timed.pop("model_times_s").items())[:10])
        report[f"dbt_build_{engine}"] = timed
        print(f"dbt build on {engine}: {timed['wall_s']} s, peak RSS {timed['peak_rss_mb']} MB", file=sys.stderr,
              flush=True)
    if {"duckdb", "spark"} <= set(engines):
        report["spark_to_duckdb"] = round(report["dbt_build_spark"]["wall_s"]
                                          / report["dbt_build_duckdb"]["wall_s"], 1)
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"spark-{report['date']}.json"
    out.write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report, indent=2))
    print(f"results: {out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
