"""Resources declared once: the pipeline's settings, the DuckDB warehouse and the dbt CLI, both on LEADS_DUCKDB_PATH."""

import datetime as dt
import os
import shutil
import sys
from contextlib import contextmanager
from pathlib import Path

import dagster as dg
from dagster_dbt import DbtCliResource, DbtProject
from dagster_duckdb import DuckDBResource

from ingestion.settings import REPO_ROOT, Settings, load_settings, today_in_paris
from ingestion.warehouse import connection_config, open_warehouse

DBT_PROJECT_DIR = REPO_ROOT / "dbt_project"
# dbt started through a wrapper that ties it to the Dagster process starting it (see the script)
DBT_BOUND_TO_ITS_RUN = REPO_ROOT / "orchestration" / "bin" / "dbt"

dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR)

# Every asset and check that opens the warehouse is in this concurrency pool. The DuckDB file takes one writing
# process at a time, and the instance (orchestration/dagster.yaml) lets one run at a time hold the pool: the others
# wait in the queue, each said once in the daemon's log.
WAREHOUSE_POOL = "warehouse"


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


class PipelineSettings(dg.ConfigurableResource):
    """The pipeline's settings (README, Settings), read once from the environment when the definitions load and passed
    to every asset, check and sensor that needs one; shown in the UI under Deployment → Resources, the INSEE key as
    the environment variable it comes from, never its value. The as-of date is not fixed here: left unset (the
    default), each run takes today in Europe/Paris when it starts, and gives dbt that same date."""

    landing_dir: str
    duckdb_path: str
    publish_dir: str
    language: str  # fr or en (LEADS_LANGUAGE, else the dbt var `language`): what sales reads; the UI stays English
    as_of: str | None = None
    duckdb_memory_limit: str = "4GB"
    duckdb_threads: int | None = None
    duckdb_compression: str = "auto"
    insee_api_key: str | None = None
    min_match_rate: float = 0.6
    min_identified_events_known: float = 0.5
    hubspot_access_token: str | None = None
    hubspot_api_url: str = "https://api.hubapi.com"
    hubspot_calls_per_10s: int = 100
    salesforce_instance_url: str | None = None
    salesforce_access_token: str | None = None
    salesforce_client_id: str | None = None
    salesforce_client_secret: str | None = None
    salesforce_login_url: str | None = None
    crm_push: str = "dry_run"
    model_min_leads: int = 1000
    model_min_positives: int = 120
    model_max_rows: int = 3_000_000
    engine: str = "duckdb"  # LEADS_ENGINE: the engine dbt builds on (duckdb, or spark over the lake)
    lake_dir: str | None = None  # LEADS_LAKE_DIR: where Spark reads the landed tables and writes its own

    @classmethod
    def from_settings(cls, settings: Settings, as_of_fixed: bool) -> "PipelineSettings":
        return cls(landing_dir=str(settings.landing_dir), duckdb_path=str(settings.duckdb_path),
                   publish_dir=str(settings.publish_dir), as_of=settings.as_of.isoformat() if as_of_fixed else None,
                   duckdb_memory_limit=settings.duckdb_memory_limit, duckdb_threads=settings.duckdb_threads,
                   duckdb_compression=settings.duckdb_compression,
                   insee_api_key=_env_var("INSEE_API_KEY", settings.insee_api_key),
                   min_match_rate=settings.min_match_rate,
                   min_identified_events_known=settings.min_identified_events_known,
                   # the secrets as the environment variables they come from: Dagster stores and shows the name only
                   hubspot_access_token=_env_var("HUBSPOT_ACCESS_TOKEN", settings.hubspot_access_token),
                   hubspot_api_url=settings.hubspot_api_url, hubspot_calls_per_10s=settings.hubspot_calls_per_10s,
                   salesforce_instance_url=settings.salesforce_instance_url,
                   salesforce_access_token=_env_var("SALESFORCE_ACCESS_TOKEN", settings.salesforce_access_token),
                   salesforce_client_id=settings.salesforce_client_id,
                   salesforce_client_secret=_env_var("SALESFORCE_CLIENT_SECRET", settings.salesforce_client_secret),
                   salesforce_login_url=settings.salesforce_login_url, crm_push=settings.crm_push,
                   language=settings.language, model_min_leads=settings.model_min_leads,
                   model_min_positives=settings.model_min_positives, model_max_rows=settings.model_max_rows,
                   engine=settings.engine, lake_dir=str(settings.lake_dir))

    def load(self) -> Settings:
        """The settings of this run: the as-of date resolved now when it is not fixed."""
        as_of = dt.date.fromisoformat(self.as_of) if self.as_of else today_in_paris()
        return Settings(landing_dir=Path(self.landing_dir), duckdb_path=Path(self.duckdb_path),
                        publish_dir=Path(self.publish_dir), as_of=as_of, duckdb_memory_limit=self.duckdb_memory_limit,
                        duckdb_threads=self.duckdb_threads, duckdb_compression=self.duckdb_compression,
                        insee_api_key=self.insee_api_key, min_match_rate=self.min_match_rate,
                        min_identified_events_known=self.min_identified_events_known,
                        hubspot_access_token=self.hubspot_access_token, hubspot_api_url=self.hubspot_api_url,
                        hubspot_calls_per_10s=self.hubspot_calls_per_10s,
                        salesforce_instance_url=self.salesforce_instance_url,
                        salesforce_access_token=self.salesforce_access_token,
                        salesforce_client_id=self.salesforce_client_id,
                        salesforce_client_secret=self.salesforce_client_secret,
                        salesforce_login_url=self.salesforce_login_url, crm_push=self.crm_push,
                        language=self.language, model_min_leads=self.model_min_leads,
                        model_min_positives=self.model_min_positives, model_max_rows=self.model_max_rows,
                        engine=self.engine, **({"lake_dir": Path(self.lake_dir)} if self.lake_dir else {}))


def _env_var(name: str, value: str | None):
    """A secret given to the resource as its environment variable (resolved when a run starts), or None."""
    return dg.EnvVar(name) if value else None


def build_resources(settings: Settings | None = None) -> dict:
    """The resources, from the environment (settings None) or from given settings (tests)."""
    as_of_fixed = settings is not None or bool(os.environ.get("LEADS_AS_OF"))
    settings = settings or load_settings()
    # the dbt installed beside this Python, also when the virtualenv is not activated
    os.environ.setdefault("LEADS_DBT_EXECUTABLE", shutil.which("dbt") or str(Path(sys.executable).parent / "dbt"))
    return {
        "settings": PipelineSettings.from_settings(settings, as_of_fixed),
        "duckdb": WarehouseResource(database=str(settings.duckdb_path), connection_config=connection_config(settings)),
        "dbt": DbtCliResource(project_dir=dbt_project, dbt_executable=str(DBT_BOUND_TO_ITS_RUN)),
    }
