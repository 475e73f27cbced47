"""National-scale benchmark of CRM and intent landing and of matching 200 k CRM companies to the full registry.

    uv run python -m bench.crm_matching [--scale 1.0] [--work bench/data] [--skip-generate]

Generates a full landing zone (registry as parquet, CRM exports, 50 M web events), lands it, builds the dbt models
up to the matching inputs, runs the probabilistic tier (Splink) and the models after it, and measures matching
precision and recall against the generator's truth. Results go to bench/results/crm-matching-<date>.json.
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

from bench.registry import REPO, RESULTS, _peak_rss_mb, national_memory_limit

DBT = str(Path(sys.executable).parent / "dbt")


def _dbt(*args: str, target: Path) -> float:
    started = time.monotonic()
    out = subprocess.run([DBT, *args, "--quiet", "--target-path", str(target)], cwd=REPO / "dbt_project",
                         capture_output=True, text=True)
    if out.returncode:
        raise SystemExit(f"dbt {' '.join(args)} failed:\n{out.stdout[-4000:]}\n{out.stderr[-2000:]}")
    return round(time.monotonic() - started, 1)


def _node_times(target: Path) -> dict[str, float]:
    results = json.loads((target / "run_results.json").read_text())
    return {r["unique_id"].split(".")[-1]: round(r["execution_time"], 1) for r in results["results"]
            if r["unique_id"].startswith("model.")}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--work", type=Path, default=REPO / "bench" / "data")
    parser.add_argument("--skip-generate", action="store_true")
    args = parser.parse_args(argv)
    work = args.work.resolve()
    zone = work / "landing_full"
    as_of = dt.date(2026, 11, 26)
    os.environ.update({"LEADS_LANDING_DIR": str(zone), "LEADS_DUCKDB_PATH": str(work / "warehouse_full.duckdb"),
                       "LEADS_AS_OF": as_of.isoformat()})
    report = {"date": dt.datetime.now().isoformat(timespec="seconds"), "scale": args.scale,
              "machine": {"cpus": os.cpu_count(), "platform": platform.platform(),
                          "duckdb_memory_limit": national_memory_limit()}}
    log = lambda m: print(m, file=sys.stderr, flush=True)  # noqa: E731

    from ingestion.sample_data.__main__ import generate

    if not args.skip_generate:
        started = time.monotonic()
        report["counts"] = generate(zone, scale=args.scale, sirene_format="parquet", as_of=as_of, log=log)
        report["generate_s"] = round(time.monotonic() - started, 1)
    for leftover in work.glob("warehouse_full.duckdb*"):
        shutil.rmtree(leftover) if leftover.is_dir() else leftover.unlink()

    from ingestion.crm import land_crm
    from ingestion.intent import FEEDS, land_feed
    from ingestion.land import land_registry
    from matching.probabilistic import score_crm_company_candidates
    from ingestion.settings import load_settings
    from ingestion.warehouse import connect

    settings = load_settings()
    steps: dict[str, float] = {}
    t = time.monotonic()
    land_registry(settings, log=log)
    steps["land_registry"] = round(time.monotonic() - t, 1)
    with connect(settings) as con:
        t = time.monotonic()
        crm = land_crm(con, zone / "crm", temp_dir=settings.temp_dir, log=log)
        steps["land_crm"] = round(time.monotonic() - t, 1)
        report["crm_rows"] = crm.rows_by_object if crm else {}
        feeds = {}
        for feed in FEEDS:
            t = time.monotonic()
            result = land_feed(con, zone, feed, log=log)
            steps[f"land_{feed}"] = round(time.monotonic() - t, 1)
            feeds[feed] = result.rows_loaded
        report["feed_rows"] = feeds
    target = work / "dbt_target_matching"
    steps["dbt_before_matching"] = _dbt("build", "--exclude", "source:matching+", target=target)
    model_times = _node_times(target)
    with connect(settings) as con:
        t = time.monotonic()
        report["splink"] = score_crm_company_candidates(con, log=log)
        steps["splink"] = round(time.monotonic() - t, 1)
    steps["dbt_after_matching"] = _dbt("build", "--select", "source:matching+", target=target)
    model_times.update(_node_times(target))
    matching_models = ["int_crm__companies", "int_crm__company_matches_exact", "int_crm__companies_to_match",
                       "int_registry__match_candidates", "int_crm__company_matches"]
    report["matching_s"] = round(steps["splink"] + sum(model_times.get(m, 0) for m in matching_models), 1)
    report["steps_s"] = steps
    report["model_times_s"] = dict(sorted(model_times.items(), key=lambda kv: -kv[1])[:15])
    with connect(settings, read_only=True) as con:
        truth = zone / "_truth" / "crm_companies.csv"
        rows = con.execute(f"""
            select t.variant, m.match_method, count(*) as n, count(*) filter (where m.siren = t.true_siren) as correct
            from read_csv('{truth}', all_varchar = true) t
            join intermediate.int_crm__company_matches m on m.company_key = t.crm_source || ':' || t.crm_company_id
            group by all order by 1, 2""").fetchall()
    report["matches_by_variant"] = [dict(zip(["variant", "method", "n", "correct"], r)) for r in rows]
    fuzzy = [r for r in rows if r[1] == "fuzzy"]
    name_only = [r for r in rows if r[0] in ("name", "siret_invalid")]
    report["fuzzy_precision"] = round(sum(r[3] for r in fuzzy) / max(sum(r[2] for r in fuzzy), 1), 4)
    report["fuzzy_recall_name_only"] = round(
        sum(r[3] for r in name_only if r[1] == "fuzzy") / max(sum(r[2] for r in name_only), 1), 4)
    report["peak_rss_mb"] = round(_peak_rss_mb())
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"crm-matching-{dt.date.today().isoformat()}.json"
    out.write_text(json.dumps(report, indent=2))
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
