"""Settings from the environment (see the data contract); relative paths resolve against the repository root."""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo

REPO_ROOT = Path(__file__).resolve().parent.parent


def _path(var: str, default: str) -> Path:
    value = Path(os.environ.get(var) or default)
    return value if value.is_absolute() else REPO_ROOT / value


def _warehouse_path(var: str, default: str) -> Path:
    """A DuckDB file, or a MotherDuck database (`md:<name>`), which is kept as it is."""
    value = os.environ.get(var) or default
    return Path(value) if value.startswith(MOTHERDUCK_PREFIX) else _path(var, default)


MOTHERDUCK_PREFIX = "md:"


@dataclass(frozen=True)
class Settings:
    landing_dir: Path
    duckdb_path: Path
    publish_dir: Path
    as_of: dt.date
    duckdb_memory_limit: str
    duckdb_threads: int | None
    duckdb_compression: str
    insee_api_key: str | None
    # the language of what sales reads (score_reasons, status_reason, the summary, the report): fr or en, from
    # LEADS_LANGUAGE, else the dbt var `language` (the one default: dbt run alone and a Dagster run agree)
    language: str
    # quality gates: the share of CRM companies matched to the registry, and of identified web events that belong
    # to a known CRM person
    min_match_rate: float = 0.6
    min_identified_events_known: float = 0.5
    # the CRM APIs (crm_sync): credentials never in a repr, a log line or the Dagster UI
    hubspot_access_token: str | None = field(default=None, repr=False)
    hubspot_api_url: str = "https://api.hubapi.com"
    hubspot_calls_per_10s: int = 100
    salesforce_instance_url: str | None = None
    salesforce_access_token: str | None = field(default=None, repr=False)
    salesforce_client_id: str | None = None
    salesforce_client_secret: str | None = field(default=None, repr=False)
    salesforce_login_url: str | None = None
    # off | dry_run (write the would-be changes to a file) | on
    crm_push: str = "dry_run"
    # the engine dbt builds on (LEADS_ENGINE): duckdb, or spark, which reads the landed tables from the Parquet lake
    engine: str = "duckdb"
    lake_dir: Path = REPO_ROOT / "data" / "lake"
    # the predictive model is not trained below this many leads, and leads that converted, in the backtest
    # (LEADS_MODEL_MIN_LEADS, LEADS_MODEL_MIN_POSITIVES): Salesforce Einstein's minimum
    model_min_leads: int = 1000
    model_min_positives: int = 120
    # beyond this many backtest rows, the leads that never converted are sampled for training, weighted back
    # (LEADS_MODEL_MAX_ROWS): the national backtest's 26 M rows would not fit in memory
    model_max_rows: int = 3_000_000

    @property
    def is_motherduck(self) -> bool:
        """The warehouse is a MotherDuck database (`md:<name>`), not a local file."""
        return str(self.duckdb_path).startswith(MOTHERDUCK_PREFIX)

    @property
    def local_dir(self) -> Path:
        """The warehouse's folder; data/ for a MotherDuck warehouse."""
        return REPO_ROOT / "data" if self.is_motherduck else self.duckdb_path.parent

    @property
    def temp_dir(self) -> Path:
        """Where DuckDB spills and where zip archives are unpacked: beside the warehouse, never in /tmp."""
        return self.local_dir / "tmp"

    @property
    def log_dir(self) -> Path:
        """Where the terminal commands (make run, make materialize, the sample generator) write their full logs."""
        return self.local_dir / "logs"


def today_in_paris() -> dt.date:
    """The as-of date when LEADS_AS_OF is not set: the day a run starts, in Europe/Paris. (dbt run alone counts the
    same way in macros/as_of.sql; under Dagster it is given this date.)"""
    return dt.datetime.now(ZoneInfo("Europe/Paris")).date()


def load_settings() -> Settings:
    as_of_text = os.environ.get("LEADS_AS_OF")
    try:
        as_of = dt.date.fromisoformat(as_of_text) if as_of_text else today_in_paris()
    except ValueError as exc:
        raise ValueError(f"LEADS_AS_OF must be a date YYYY-MM-DD, got {as_of_text!r}") from exc
    threads = os.environ.get("LEADS_DUCKDB_THREADS")
    crm_push = os.environ.get("LEADS_CRM_PUSH") or "dry_run"
    if crm_push not in ("off", "dry_run", "on"):
        raise ValueError(f"LEADS_CRM_PUSH must be off, dry_run or on, got {crm_push!r}")
    engine = (os.environ.get("LEADS_ENGINE") or "duckdb").strip().lower()
    if engine not in ENGINES:
        raise ValueError(f"LEADS_ENGINE must be one of {', '.join(ENGINES)}, got {engine!r}")
    return Settings(
        landing_dir=_path("LEADS_LANDING_DIR", "data/landing"),
        duckdb_path=_warehouse_path("LEADS_DUCKDB_PATH", "data/warehouse.duckdb"),
        publish_dir=_path("LEADS_PUBLISH_DIR", "data/published"),
        as_of=as_of,
        # Bounded memory whatever the file size: DuckDB spills to temp_dir beyond this.
        duckdb_memory_limit=os.environ.get("LEADS_DUCKDB_MEMORY_LIMIT") or "4GB",
        duckdb_threads=int(threads) if threads else None,
        # 'uncompressed' stores strings as they are (a larger file), so that a search of the file's bytes (an audit of
        # erasure) can see them; 'auto' lets DuckDB compress.
        duckdb_compression=os.environ.get("LEADS_DUCKDB_COMPRESSION") or "auto",
        insee_api_key=os.environ.get("INSEE_API_KEY") or None,
        min_match_rate=float(os.environ.get("LEADS_MIN_MATCH_RATE") or 0.6),
        min_identified_events_known=float(os.environ.get("LEADS_MIN_IDENTIFIED_EVENTS_KNOWN") or 0.5),
        hubspot_access_token=os.environ.get("HUBSPOT_ACCESS_TOKEN") or None,
        hubspot_api_url=os.environ.get("LEADS_HUBSPOT_API_URL") or "https://api.hubapi.com",
        hubspot_calls_per_10s=int(os.environ.get("LEADS_HUBSPOT_CALLS_PER_10S") or 100),
        salesforce_instance_url=os.environ.get("SALESFORCE_INSTANCE_URL") or None,
        salesforce_access_token=os.environ.get("SALESFORCE_ACCESS_TOKEN") or None,
        salesforce_client_id=os.environ.get("SALESFORCE_CLIENT_ID") or None,
        salesforce_client_secret=os.environ.get("SALESFORCE_CLIENT_SECRET") or None,
        salesforce_login_url=os.environ.get("SALESFORCE_LOGIN_URL") or None,
        crm_push=crm_push,
        language=language_setting(),
        engine=engine,
        lake_dir=_path("LEADS_LAKE_DIR", "data/lake"),
        model_min_leads=int(os.environ.get("LEADS_MODEL_MIN_LEADS") or 1000),
        model_min_positives=int(os.environ.get("LEADS_MODEL_MIN_POSITIVES") or 120),
        model_max_rows=int(os.environ.get("LEADS_MODEL_MAX_ROWS") or 3_000_000),
    )


LANGUAGES = ("fr", "en")
ENGINES = ("duckdb", "spark")


def language_setting() -> str:
    """LEADS_LANGUAGE, else the dbt var `language` (the one default, read by dbt's macro language() too)."""
    value = (os.environ.get("LEADS_LANGUAGE") or str(dbt_vars()["language"])).strip().lower()
    if value not in LANGUAGES:
        raise ValueError(f"LEADS_LANGUAGE must be one of {', '.join(LANGUAGES)}, got {value!r}")
    return value


def dbt_vars() -> dict:
    """The `vars` of dbt_project/dbt_project.yml: the settings analysts own, read by ingestion where it needs one
    (retention, the backtest's size) so that there is a single place to change them."""
    import yaml

    return yaml.safe_load((REPO_ROOT / "dbt_project" / "dbt_project.yml").read_text(encoding="utf-8"))["vars"]
