"""Shared fixtures: dbt parsed once per session, one generated landing zone and one materialised warehouse shared by
every test that only reads them."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SAMPLE_SCALE = 0.0003  # 8,700 legal units, 12,600 establishments: every branch occurs, the suite stays fast


def pytest_configure(config):
    # Parse dbt once, before any test module imports the Dagster definitions (which read the manifest).
    subprocess.run([str(Path(sys.executable).parent / "dbt"), "parse", "--quiet"], cwd=REPO / "dbt_project", check=True)


@pytest.fixture(scope="session")
def sample_zone(tmp_path_factory) -> Path:
    from ingestion.sample_data.__main__ import generate

    zone = tmp_path_factory.mktemp("landing")
    generate(zone, scale=SAMPLE_SCALE, sirene_format="zip")
    return zone


@pytest.fixture(scope="session")
def warehouse(sample_zone, tmp_path_factory):
    """Every asset materialised once on the sample zone, in process, as `make run` does."""
    import dagster as dg

    db = tmp_path_factory.mktemp("warehouse") / "warehouse.duckdb"
    env = {"LEADS_LANDING_DIR": str(sample_zone), "LEADS_DUCKDB_PATH": str(db), "LEADS_AS_OF": "2026-11-26",
           "LEADS_PUBLISH_DIR": str(db.parent / "published")}
    with pytest.MonkeyPatch.context() as mp:
        for key, value in env.items():
            mp.setenv(key, value)
        from ingestion.settings import load_settings
        from orchestration.definitions import ALL_ASSETS, ALL_CHECKS
        from orchestration.resources import build_resources

        result = dg.materialize([*ALL_ASSETS, *ALL_CHECKS], resources=build_resources(load_settings()),
                                raise_on_error=False)
    return {"path": db, "result": result, "zone": sample_zone, "published": db.parent / "published"}


def run_dbt(args: list[str], db: Path, target: Path, as_of: str = "2026-11-26") -> None:
    """dbt on another warehouse file (a test's copy), with its own target folder, at the suite's as-of date."""
    import os

    env = {**os.environ, "LEADS_DUCKDB_PATH": str(db), "LEADS_AS_OF": as_of}
    subprocess.run([str(Path(sys.executable).parent / "dbt"), *args, "--target-path", str(target), "--quiet"],
                   cwd=REPO / "dbt_project", env=env, check=True)


@pytest.fixture
def warehouse_copy(warehouse, tmp_path) -> Path:
    """A test's own copy of the shared warehouse, to change without disturbing the tests that only read it."""
    import shutil

    db = tmp_path / "warehouse.duckdb"
    shutil.copy(warehouse["path"], db)
    return db


@pytest.fixture
def read_warehouse(warehouse):
    import duckdb

    con = duckdb.connect(str(warehouse["path"]), read_only=True)
    yield con
    con.close()
