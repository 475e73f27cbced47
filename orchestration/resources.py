"""Resources declared once: the DuckDB warehouse and the dbt CLI, both on LEADS_DUCKDB_PATH."""

import os
import shutil
import sys
from contextlib import contextmanager
from pathlib import Path

from dagster_dbt import DbtCliResource, DbtProject
from dagster_duckdb import DuckDBResource

from ingestion.settings import REPO_ROOT, Settings
from ingestion.warehouse import connection_config, open_warehouse

DBT_PROJECT_DIR = REPO_ROOT / "dbt_project"
# dbt started through a wrapper that ties it to the Dagster process starting it (see the script)
DBT_BOUND_TO_ITS_RUN = REPO_ROOT / "orchestration" / "bin" / "dbt"

dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR)


def _manifest_is_stale() -> bool:
    """No manifest yet (fresh clone), or a model, macro, seed, test or setting edited since it was parsed."""
    if not dbt_project.manifest_path.exists():
        return True
    parsed_at = dbt_project.manifest_path.stat().st_mtime
    sources = [DBT_PROJECT_DIR / name for name in ("models", "macros", "seeds", "tests", "snapshots")]
    files = [DBT_PROJECT_DIR / "dbt_project.yml", DBT_PROJECT_DIR / "selectors.yml",
             *(f for folder in sources if folder.exists()
                                                   for f in folder.rglob("*") if f.is_file())]
    return any(f.stat().st_mtime > parsed_at for f in files)


# `dagster dev` re-parses the project on load; elsewhere parse when the manifest is missing or older than the project.
dbt_project.prepare_if_dev()
if _manifest_is_stale():
    dbt_project.preparer.prepare(dbt_project)


class WarehouseResource(DuckDBResource):
    """The DuckDB warehouse: a run that finds another writer holding it waits, then fails with a sentence saying who
    holds it, not DuckDB's lock message."""

    @contextmanager
    def get_connection(self):
        con = open_warehouse(self.database, self.connection_config)
        try:
            yield con
        finally:
            con.close()


def build_resources(settings: Settings) -> dict:
    # the dbt installed beside this Python, also when the virtualenv is not activated
    os.environ.setdefault("LEADS_DBT_EXECUTABLE", shutil.which("dbt") or str(Path(sys.executable).parent / "dbt"))
    return {
        "duckdb": WarehouseResource(database=str(settings.duckdb_path), connection_config=connection_config(settings)),
        "dbt": DbtCliResource(project_dir=dbt_project, dbt_executable=str(DBT_BOUND_TO_ITS_RUN)),
    }
