"""Resources declared once: the DuckDB warehouse and the dbt CLI, both on LEADS_DUCKDB_PATH."""

import shutil
import sys
from pathlib import Path

from dagster_dbt import DbtCliResource, DbtProject
from dagster_duckdb import DuckDBResource

from ingestion.settings import REPO_ROOT, Settings
from ingestion.warehouse import connection_config

DBT_PROJECT_DIR = REPO_ROOT / "dbt_project"

dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR)
# `dagster dev` re-parses the project on load; elsewhere parse once when no manifest exists yet (fresh clone).
dbt_project.prepare_if_dev()
if not dbt_project.manifest_path.exists():
    dbt_project.preparer.prepare(dbt_project)


def build_resources(settings: Settings) -> dict:
    return {
        "duckdb": DuckDBResource(database=str(settings.duckdb_path), connection_config=connection_config(settings)),
        # the dbt installed beside this Python, also when the virtualenv is not activated
        "dbt": DbtCliResource(project_dir=dbt_project,
                              dbt_executable=shutil.which("dbt") or str(Path(sys.executable).parent / "dbt")),
    }
