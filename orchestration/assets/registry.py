"""Ingestion assets for the registries: SIRENE stock files and INPI ratios landed into `raw`."""

import datetime as dt

import dagster as dg
from dagster_duckdb import DuckDBResource

from ingestion.land import land_source
from ingestion.sirene_api import SireneApiUnavailable, fetch_daily_updates, land_daily_updates
from orchestration.assets.freshness import last_updated_metadata
from orchestration.assets.quality import percent
from orchestration.resources import PipelineSettings, WAREHOUSE_POOL
from ingestion.sources import SOURCES
from ingestion.warehouse import table_exists


class LandingConfig(dg.Config):
    force: bool = False
    """Reload an unchanged file and accept a load below 98 % of the previous one (a real drop)."""
    enforce_national_minimum: bool = False
    """Fail a SIRENE load below the national minimum row count (set for production runs on the full stock)."""


DESCRIPTIONS = {
    "sirene_unites_legales": "SIRENE StockUniteLegale (zip, CSV or parquet) landed by header name with the types of "
    "the published schema. Unknown columns are kept aside, bad rows quarantined, and the table swapped in only "
    "after its gates pass.",
    "sirene_etablissements": "SIRENE StockEtablissement landed the same way as the legal units.",
    "inpi_ratios": "INPI/BCE financial ratios (`;`, UTF-8 BOM, or parquet), several years per SIREN.",
}


def _landing_asset(name: str) -> dg.AssetsDefinition:
    folder, stem, spec = SOURCES[name]

    @dg.asset(
    pool=WAREHOUSE_POOL,
        key=["raw", name],
        group_name=folder,
        kinds={"duckdb", "python"},
        description=DESCRIPTIONS[name],
        metadata={"landing_file": f"{folder}/{stem}.{{zip,csv,parquet}}"},
    )
    def _asset(context: dg.AssetExecutionContext, config: LandingConfig, duckdb: DuckDBResource,
               settings: PipelineSettings):
        settings = settings.load()
        with duckdb.get_connection() as con:
            result = land_source(name, settings, con, force=config.force,
                                 enforce_national_minimum=config.enforce_national_minimum, log=context.log.info)
            rows = con.execute(f"select count(*) from raw.{spec.table}").fetchone()[0]
            columns = con.execute(
                "select column_name, data_type from information_schema.columns "
                "where table_schema = 'raw' and table_name = ? order by ordinal_position", [spec.table]
            ).fetchall()
            landed = last_updated_metadata(con, spec.table)  # the source freshness checks read it
        metadata = {
            "dagster/row_count": rows,
            "dagster/column_schema": dg.TableSchema(columns=[dg.TableColumn(n, t) for n, t in columns]),
            "dagster/table_name": f"raw.{spec.table}",
            **landed,
        }
        if result is None:
            metadata["file"] = f"absent: {settings.landing_dir / folder / stem}.{{zip,csv,parquet}}"
        else:
            metadata.update(result.as_metadata())
        return dg.MaterializeResult(metadata=metadata)

    return _asset


REGISTRY_QUARANTINE_THRESHOLD = 0.001


def _quarantine_check(name: str) -> dg.AssetChecksDefinition:
    spec = SOURCES[name][2]

    @dg.asset_check(pool=WAREHOUSE_POOL, asset=dg.AssetKey(["raw", name]), name="few_rows_quarantined",
                    description=f"Under {percent(REGISTRY_QUARANTINE_THRESHOLD)} of the last load's rows were "
                                f"rejected into quarantine.{spec.table}.")
    def _check(duckdb: DuckDBResource) -> dg.AssetCheckResult:
        with duckdb.get_connection() as con:
            last = con.execute(
                "select rows_loaded, rows_quarantined, file_name from raw._load_log where table_name = ? "
                "order by finished_at desc limit 1", [spec.table]
            ).fetchone() if table_exists(con, "raw", "_load_log") else None
        if last is None:
            return dg.AssetCheckResult(passed=True, metadata={"note": "nothing landed yet"})
        loaded, quarantined, file_name = last
        share = quarantined / max(loaded + quarantined, 1)
        return dg.AssetCheckResult(
            passed=share < REGISTRY_QUARANTINE_THRESHOLD,
            severity=dg.AssetCheckSeverity.WARN,
            description=f"{quarantined:,} rows of {file_name} quarantined ({percent(share)}, threshold "
                        f"{percent(REGISTRY_QUARANTINE_THRESHOLD)})",
            metadata={"file": file_name, "rows_quarantined": quarantined, "share_quarantined": percent(share),
                      "threshold": percent(REGISTRY_QUARANTINE_THRESHOLD),
                      "quarantine_table": f"quarantine.{spec.table}"},
        )

    return _check


registry_assets = [_landing_asset(name) for name in SOURCES]
registry_checks = [_quarantine_check(name) for name in SOURCES]


class SireneUpdatesConfig(dg.Config):
    catch_up_days: int = 7
    """Days before the as-of date to fetch when missing (a day already saved is never fetched again)."""


@dg.multi_asset(
    pool=WAREHOUSE_POOL,
    specs=[dg.AssetSpec(["raw", f"sirene_updates_{name}"], group_name="sirene", kinds={"duckdb", "python"},
                        description=f"API Sirene 3.11 daily updates of the {name.replace('_', ' ')}, merged over the "
                                    "stock in staging (the latest dateDernierTraitement wins).")
           for name in ("unites_legales", "etablissements")],
    name="sirene_updates",
    description="Fetch API Sirene's daily updates (records INSEE processed each day) into sirene/updates/ and land "
                "them into raw.sirene_updates_*. Skipped with a log line when INSEE_API_KEY is not set.",
)
def sirene_updates(context: dg.AssetExecutionContext, config: SireneUpdatesConfig, duckdb: DuckDBResource,
                   settings: PipelineSettings):
    settings = settings.load()
    updates_dir = settings.landing_dir / "sirene" / "updates"
    fetched = {}
    for back in range(config.catch_up_days, 0, -1):  # oldest first; the as-of day itself is not complete yet
        day = settings.as_of - dt.timedelta(days=back)
        try:
            update = fetch_daily_updates(day, updates_dir, settings.insee_api_key, log=context.log.info)
        except SireneApiUnavailable as exc:  # an optional step: the days saved so far still land
            context.log.warning(f"{exc}; the daily SIRENE updates are skipped for this run")
            break
        if update.skipped and not update.files:
            break  # no key: one line said so
        fetched.update({f"{day}_{name}": rows for name, rows in update.rows.items()})
    with duckdb.get_connection() as con:
        landed = land_daily_updates(con, updates_dir, log=context.log.info)
    for name, rows in landed.items():
        yield dg.MaterializeResult(asset_key=["raw", f"sirene_updates_{name}"], metadata={
            "api_key_set": settings.insee_api_key is not None,
            "fetched_days": dg.MetadataValue.json({d: n for d, n in fetched.items() if d.endswith(name)}),
            "dagster/row_count": rows,
        })


registry_assets = [*registry_assets, sirene_updates]
