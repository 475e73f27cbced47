"""The same dbt project on Apache Spark gives DuckDB's tables (`make test-spark`; Java 17 and Spark's packages, which
`make test` does not install, so the suite skips it).

The sample zone is landed once, by the pipeline (DuckDB parses the files, quarantines, gates, matches with Splink);
the landed tables go to the lake as Parquet (ingestion/lake.py); dbt then builds every seed, model, data test and
unit test on Spark (LEADS_ENGINE=spark, local[2]) and each model's rows are compared with DuckDB's, leaving out only
the columns the YAML declares as run metadata. Then a next day, as the daily refresh runs it (today's date scored
alone, the backtest left alone): new web and e-mail events, a monthly file sent again with one event removed, an event
sent twice, a person who asked to be erased; DuckDB's incremental models against Spark's rebuilt tables and
partition-replacing status log."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from conftest import AS_OF, NEXT_DAY, REPO

pytestmark = [pytest.mark.skipif(not os.environ.get("LEADS_TEST_SPARK"),
                                 reason="Spark's parity test: `make test-spark` runs it (Java 17, uv group spark)"),
              pytest.mark.timeout(1800)]  # a build on Spark takes minutes: more than the suite's 600 s a test


def dbt_on(engine: str, args: list[str], target: Path, as_of: str, *, lake: Path | None = None,
           warehouse: Path | None = None, scored_dates: str = "with_backtest") -> subprocess.CompletedProcess:
    env = {**os.environ, "LEADS_ENGINE": engine, "LEADS_AS_OF": as_of, "LEADS_SCORED_DATES": scored_dates}
    env.update({"LEADS_LAKE_DIR": str(lake)} if lake else {"LEADS_DUCKDB_PATH": str(warehouse)})
    started = time.monotonic()
    done = subprocess.run([str(Path(sys.executable).parent / "dbt"), *args, "--target-path", str(target)],
                          cwd=REPO / "dbt_project", env=env, capture_output=True, text=True)
    print(f"dbt {' '.join(args)} on {engine}: {time.monotonic() - started:.0f} s")  # the figures bench/README quotes
    return done


def _failures(build: subprocess.CompletedProcess) -> str:
    return "\n".join(line for line in build.stdout.splitlines() if " ERROR " in line or " FAIL " in line
                     or "Done." in line) or build.stderr[-3000:]


BACKTEST = ["--exclude", "path:models/intermediate/backtest", "path:models/marts/backtest"]


@pytest.fixture(scope="module")
def spark_build(warehouse, tmp_path_factory):
    from ingestion.lake import export_landed_tables

    work = tmp_path_factory.mktemp("spark")
    lake = work / "lake"
    with duckdb.connect(str(warehouse["path"]), read_only=True) as con:
        export_landed_tables(con, lake, log=lambda _: None)
    build = dbt_on("spark", ["build"], work / "target", AS_OF.isoformat(), lake=lake)
    return {"lake": lake, "target": work / "target", "build": build}


@pytest.fixture(scope="module")
def next_day(warehouse, spark_build, tmp_path_factory):
    """The daily refresh of the next day, on a copy of DuckDB's warehouse and on Spark's lake."""
    from ingestion.intent import land_feed
    from ingestion.lake import export_landed_tables
    from privacy.erasure import apply_erasure_requests
    from test_incremental import _next_day_files

    assert spark_build["build"].returncode == 0, _failures(spark_build["build"])
    work = tmp_path_factory.mktemp("next_day")
    db = work / "warehouse.duckdb"
    shutil.copy(warehouse["path"], db)
    zone = work / "zone"
    with duckdb.connect(str(db)) as con:
        expected = _next_day_files(con, zone, warehouse["zone"])
        # the person to erase has a status history to lose (else Spark's erasure of the log would go untested)
        assert con.execute("select count(*) from intermediate.int_leads__status_changes where email = ?",
                           [expected["erased"]]).fetchone()[0] > 0
        con.execute("insert into raw.crm_erasure_requests (email_sha256, requested_at, source_file) "
                    f"values (sha256(lower(?)), date '{NEXT_DAY}', 'erasure_requests.csv')", [expected["erased"]])
        apply_erasure_requests(con)
        for feed in ("web_events", "email_events"):
            land_feed(con, zone, feed, as_of=NEXT_DAY)
    day = NEXT_DAY.isoformat()
    on_duckdb = dbt_on("duckdb", ["build", *BACKTEST], work / "target_duckdb", day, warehouse=db,
                       scored_dates="today_only")
    assert on_duckdb.returncode == 0, _failures(on_duckdb)
    with duckdb.connect(str(db), read_only=True) as con:
        export_landed_tables(con, spark_build["lake"], log=lambda _: None)
    on_spark = dbt_on("spark", ["build", *BACKTEST], work / "target_spark", day, lake=spark_build["lake"],
                      scored_dates="today_only")
    return {"warehouse": db, "build": on_spark, "expected": expected}


def _compared(warehouse: Path, spark_build: dict, sql: list[str] = ()) -> dict:
    """tests/spark_parity.py in its own process (Spark's metastore stays locked by the process that opened it)."""
    import json

    done = subprocess.run([sys.executable, str(REPO / "tests" / "spark_parity.py"), str(warehouse),
                           str(spark_build["lake"]), str(spark_build["target"] / "manifest.json"), "--sql", *sql],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout)
    assert result["models"] >= 60
    return result


def test_every_seed_model_test_and_unit_test_runs_on_spark(spark_build):
    build = spark_build["build"]
    summary = [line for line in build.stdout.splitlines() if "Done. PASS=" in line]
    assert build.returncode == 0, _failures(build)
    assert summary and " ERROR=0 " in summary[-1] and "SKIP=0 " in summary[-1], summary


def test_a_full_build_on_spark_gives_duckdbs_rows_in_every_model(warehouse, spark_build):
    differences = _compared(warehouse["path"], spark_build)["differences"]
    assert differences == {}, "\n".join(f"{k}: {v[:600]}" for k, v in differences.items())


def test_the_next_day_on_spark_gives_duckdbs_rows_in_every_model(next_day, spark_build):
    assert next_day["build"].returncode == 0, _failures(next_day["build"])
    erased = next_day["expected"]["erased"].replace("'", "''")
    result = _compared(next_day["warehouse"], spark_build, [
        f"select count(*) from intermediate.int_leads__status_changes where email = '{erased}'",
        "select distinct changed_on from intermediate.int_leads__status_changes"])
    assert result["differences"] == {}, "\n".join(f"{k}: {v[:600]}" for k, v in result["differences"].items())
    [[erased_rows]], days = result["sql"]
    assert erased_rows == 0, "the erased person left Spark's status log"
    # (a status log rebuilt whole, as Spark's other incremental models are, would hold the new day's date alone)
    assert AS_OF.isoformat() in {d for [d] in days}, "the first day's history is kept"


@pytest.fixture(scope="module")
def dagster_on_spark(warehouse, tmp_path_factory):
    """Every asset materialised by Dagster with LEADS_ENGINE=spark, on the same sample zone as the DuckDB run, in its
    own process as `make materialize` runs it: landing and matching on DuckDB, each dbt step on Spark between a lake
    export and the views that let the Python steps read what Spark built."""
    work = tmp_path_factory.mktemp("dagster_on_spark")
    (work / "dagster_home").mkdir()
    shutil.copy(REPO / "orchestration" / "dagster.yaml", work / "dagster_home" / "dagster.yaml")
    env = {**os.environ, "LEADS_ENGINE": "spark", "LEADS_AS_OF": AS_OF.isoformat(),
           "LEADS_LANDING_DIR": str(warehouse["zone"]), "LEADS_DUCKDB_PATH": str(work / "warehouse.duckdb"),
           "LEADS_LAKE_DIR": str(work / "lake"), "LEADS_PUBLISH_DIR": str(work / "published"),
           "DAGSTER_HOME": str(work / "dagster_home")}
    started = time.monotonic()
    run = subprocess.run([sys.executable, "-m", "orchestration.materialize", "--job", "all_assets"], cwd=REPO,
                         env=env, capture_output=True, text=True)
    print(f"every asset by Dagster on Spark: {time.monotonic() - started:.0f} s")  # the figure bench/README quotes
    return {"run": run, "work": work}


def _published_rows(published: Path, mart: str, skipped: set[str]) -> tuple[list[str], object]:
    """A published mart's columns, but its run-metadata ones, and its rows as the parity test normalises them."""
    from spark_parity import duckdb_rows

    with duckdb.connect() as con:
        relation = f"read_parquet('{published / 'parquet' / f'{mart}.parquet'}')"
        columns = [c for (c,) in con.execute(f"select column_name from (describe select * from {relation})").fetchall()
                   if c not in skipped]
        return columns, duckdb_rows(con, relation, columns)


def test_dagster_runs_the_whole_pipeline_on_spark_and_publishes_duckdbs_marts(warehouse, dagster_on_spark):
    from orchestration.resources import dbt_project
    from spark_parity import models_to_compare

    run, work = dagster_on_spark["run"], dagster_on_spark["work"]
    assert run.returncode == 0, (run.stdout + run.stderr)[-4000:]
    # the marts were built by Spark (Parquet under the lake) and read by the publication through DuckDB's views
    assert (work / "lake" / "warehouse" / "marts.db" / "qualified_leads").is_dir()
    with duckdb.connect(str(work / "warehouse.duckdb"), read_only=True) as con:
        [(sql,)] = con.execute("select sql from duckdb_views() where schema_name = 'marts' "
                               "and view_name = 'qualified_leads'").fetchall()
    assert str(work / "lake" / "warehouse" / "marts.db" / "qualified_leads") in sql
    run_metadata = models_to_compare(dbt_project.manifest_path)  # (when a model was trained, say)
    marts = sorted(p.stem for p in (warehouse["published"] / "parquet").glob("*.parquet"))
    assert "qualified_leads" in marts
    for mart in marts:
        skipped = run_metadata.get(f"marts.{mart}", set())
        columns, on_duckdb = _published_rows(warehouse["published"], mart, skipped)
        spark_columns, on_spark = _published_rows(work / "published", mart, skipped)
        assert spark_columns == columns, mart
        assert on_spark == on_duckdb, (f"{mart}: {sum((on_duckdb - on_spark).values())} rows only on DuckDB, "
                                       f"{sum((on_spark - on_duckdb).values())} only on Spark")
    # the publication said it: the run's summary names the published file
    assert str(work / "published" / "leads.duckdb") in run.stdout + run.stderr
