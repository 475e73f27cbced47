"""Every benchmark of bench/ runs here at a tiny scale, as `make bench*` runs it at national scale (same commands,
same code), so that a change to the pipeline that breaks a benchmark fails the suite instead of the next national
measurement. Only that they run and report their figures is checked: timings at this scale mean nothing."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
TINY = "0.0002"  # 5,800 legal units, 8,400 establishments, 40 CRM companies


def _bench(module: str, *args: str, env: dict) -> None:
    proc = subprocess.run([sys.executable, "-m", module, *args], cwd=REPO, env=env, capture_output=True, text=True)
    assert proc.returncode == 0, f"{module} {' '.join(args)} failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-5000:]}"


def _result(results: Path, prefix: str) -> dict:
    [path] = sorted(results.glob(f"{prefix}-*.json"))[-1:]
    return json.loads(path.read_text())


@pytest.fixture(scope="module")
def bench_env(tmp_path_factory):
    root = tmp_path_factory.mktemp("bench")
    env = {k: v for k, v in os.environ.items() if not k.startswith("LEADS_")}
    env["LEADS_BENCH_RESULTS"] = str(root / "results")
    return root, env


@pytest.fixture(scope="module")
def matching_work(bench_env):
    """`make bench-matching` at a tiny scale: the warehouse the scoring, backtest and daily benchmarks start from."""
    root, env = bench_env
    _bench("bench.crm_matching", "--scale", TINY, "--work", str(root / "work"), env=env)
    return root / "work"


def test_the_registry_benchmark_runs(bench_env):
    root, env = bench_env
    _bench("bench.registry", "--scale", TINY, "--work", str(root / "registry"), env=env)
    report = _result(root / "results", "registry")
    for label in ("parquet", "zip"):
        assert report[f"pipeline_{label}"]["rows"]["sirene_unites_legales"] > 0, report
        assert report[f"pipeline_{label}"]["ratio_to_floor"] > 0


def test_the_matching_benchmark_measures_precision_and_recall(bench_env, matching_work):
    report = _result(bench_env[0] / "results", "crm-matching")
    assert report["crm_rows"] and report["steps_s"]["dbt_after_matching"] > 0
    assert 0 <= report["fuzzy_precision"] <= 1 and report["matches_by_variant"]


def test_the_scoring_benchmark_runs(bench_env, matching_work):
    root, env = bench_env
    _bench("bench.scoring", "--work", str(matching_work), env=env)
    assert _result(root / "results", "scoring")


def test_the_backtest_benchmark_runs(bench_env, matching_work):
    root, env = bench_env
    _bench("bench.backtest", "--work", str(matching_work), env=env)
    report = _result(root / "results", "backtest")
    assert report["counts"] and "lead_dates_per_s" in report


def test_the_daily_refresh_benchmark_times_a_day_against_a_full_rebuild(bench_env, matching_work):
    root, env = bench_env
    _bench("bench.daily_refresh", "--work", str(matching_work), env=env)
    report = _result(root / "results", "daily-refresh")
    assert report["full_rebuild"]["wall_s"] > 0 and report["daily_share_of_full"] > 0


def test_the_crm_api_benchmark_reports_throughput_and_calls(bench_env):
    root, env = bench_env
    _bench("bench.crm_api", "--records", "300", env=env)
    report = _result(root / "results", "crm-api")
    for label in ("default_limits", "limits_lifted"):
        figures = report[label]
        assert figures["hubspot_full_pull"]["records"] == 300 + 60 + 15, figures
        assert figures["push"]["pushed"] == {"hubspot": 300, "salesforce": 300}
        assert figures["push_rerun"]["changed"] == 0


def test_the_prediction_benchmark_trains_and_scores(bench_env):
    root, env = bench_env
    _bench("bench.prediction", "--leads", "3000", "--dates", "26", "--work", str(root / "prediction"), env=env)
    report = _result(root / "results", "prediction")
    assert report["training_rows"] == 3000 * 26 and report["leads_scored"] in (0, 3000)
    assert {t["target"] for t in report["trainings"]} == {"opportunity", "won_deal"}
    assert report["train_s"] > 0 and report["peak_rss_mb"] > 0 and report["rows_per_s"] > 0


def test_the_spark_benchmark_exports_and_times_a_build(bench_env, matching_work):
    """Its DuckDB side only: the suite has no Spark (`make test-spark` builds the project on Spark)."""
    root, env = bench_env
    _bench("bench.spark", "--warehouse", str(matching_work / "warehouse_full.duckdb"), "--engines", "duckdb",
           "--work", str(root / "spark"), env=env)
    report = _result(root / "results", "spark")
    assert report["steps_s"]["lake_export"] > 0 and report["rows"]["raw.sirene_unites_legales"] > 0, report
    assert report["dbt_build_duckdb"]["wall_s"] > 0 and report["dbt_build_duckdb"]["slowest_models_s"]
    assert (root / "spark" / "lake").is_dir()
