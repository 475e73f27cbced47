"""The same dbt project on Apache Spark gives DuckDB's tables (`make test-spark`; Java 17 and Spark's packages, which
`make test` does not install, so the suite skips it).

The sample zone is landed once, by the pipeline (DuckDB parses the files, quarantines, gates, matches with Splink);
the landed tables go to the lake as Parquet (ingestion/lake.py); dbt then builds every seed, model, data test and
unit test on Spark (LEADS_ENGINE=spark, local[2]) and each model's rows are compared with DuckDB's, leaving out only
the columns the YAML declares as run metadata."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from conftest import AS_OF, REPO

pytestmark = pytest.mark.skipif(not os.environ.get("LEADS_TEST_SPARK"),
                                reason="Spark's parity test: `make test-spark` runs it (Java 17, uv group spark)")


def spark_session(lake: Path):
    from pyspark.sql import SparkSession

    session = (SparkSession.builder.enableHiveSupport().master("local[2]")
               .config("spark.sql.warehouse.dir", str(lake / "warehouse"))
               .config("spark.hadoop.javax.jdo.option.ConnectionURL",
                       f"jdbc:derby:;databaseName={lake / 'metastore_db'};create=true")
               .config("spark.sql.session.timeZone", "UTC").config("spark.ui.enabled", "false").getOrCreate())
    session.sparkContext.setLogLevel("ERROR")
    return session


def dbt_on_spark(args: list[str], lake: Path, target: Path, as_of: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "LEADS_ENGINE": "spark", "LEADS_LAKE_DIR": str(lake), "LEADS_AS_OF": as_of}
    return subprocess.run([str(Path(sys.executable).parent / "dbt"), *args, "--target-path", str(target)],
                          cwd=REPO / "dbt_project", env=env, capture_output=True, text=True)


@pytest.fixture(scope="module")
def spark_build(warehouse, tmp_path_factory):
    from ingestion.lake import export_landed_tables

    work = tmp_path_factory.mktemp("spark")
    lake = work / "lake"
    with duckdb.connect(str(warehouse["path"]), read_only=True) as con:
        export_landed_tables(con, lake, log=lambda _: None)
    build = dbt_on_spark(["build"], lake, work / "target", AS_OF.isoformat())
    return {"lake": lake, "target": work / "target", "build": build}


def test_every_seed_model_test_and_unit_test_runs_on_spark(spark_build):
    build = spark_build["build"]
    summary = [line for line in build.stdout.splitlines() if "Done. PASS=" in line]
    assert build.returncode == 0, "\n".join(line for line in build.stdout.splitlines()
                                            if " ERROR " in line or " FAIL " in line or "Done." in line)
    assert summary and " ERROR=0 " in summary[-1] and "SKIP=0 " in summary[-1], summary


def test_a_full_build_on_spark_gives_duckdbs_rows_in_every_model(warehouse, spark_build):
    from spark_parity import compare, models_to_compare

    models = models_to_compare(spark_build["target"] / "manifest.json")
    assert len(models) >= 60
    spark = spark_session(spark_build["lake"])
    try:
        with duckdb.connect(str(warehouse["path"]), read_only=True) as con:
            differences = compare(con, spark, models)
    finally:
        spark.stop()
    assert differences == {}, "\n".join(f"{k}: {v[:600]}" for k, v in differences.items())
