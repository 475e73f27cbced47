"""Warehouse paths as users write them: a relative path counts from the repository root, an absolute one is kept, and
a MotherDuck database (`md:<name>`) is passed as it is to DuckDB and dbt, with local work folders under data/."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from ingestion.settings import REPO_ROOT, load_settings


@pytest.mark.parametrize("value, expected", [
    ("md:leads", "md:leads"),
    ("md:leads?saas_mode=true", "md:leads?saas_mode=true"),
    ("data/other.duckdb", str(REPO_ROOT / "data" / "other.duckdb")),
    ("/srv/warehouse.duckdb", "/srv/warehouse.duckdb"),
])
def test_the_warehouse_path_is_read_as_written(monkeypatch, value, expected):
    monkeypatch.setenv("LEADS_DUCKDB_PATH", value)
    settings = load_settings()
    assert str(settings.duckdb_path) == expected
    assert settings.is_motherduck == value.startswith("md:")
    if settings.is_motherduck:
        assert settings.temp_dir == REPO_ROOT / "data" / "tmp" and settings.log_dir == REPO_ROOT / "data" / "logs"


@pytest.mark.parametrize("value, expected", [("md:leads", "md:leads"), ("data/w.duckdb", "../data/w.duckdb"),
                                             ("/srv/w.duckdb", "/srv/w.duckdb")])
def test_the_dbt_profile_gives_duckdb_the_same_warehouse(tmp_path, value, expected):
    """The profile's path, as dbt renders it (dbt runs from dbt_project/, hence '../' for a relative path)."""
    code = ("import os; from dbt_common.context import set_invocation_context; set_invocation_context(os.environ);"
            "from dbt.config.profile import read_profile; from dbt.config.renderer import ProfileRenderer;"
            "raw = read_profile('.')['lead_qualification']['outputs']['local'];"
            "print(ProfileRenderer({}).render_data(raw)['path'])")
    env = {**os.environ, "LEADS_DUCKDB_PATH": value}
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO_ROOT / "dbt_project", env=env, capture_output=True,
                         text=True, check=True).stdout.strip()
    assert out == expected
