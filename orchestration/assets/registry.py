"""Ingestion assets for the registries: SIRENE stock files and INPI ratios landed into `raw`."""

import dagster as dg
from dagster_duckdb import DuckDBResource

from ingestion.land import land_source
from ingestion.settings import load_settings
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
        key=["raw", name],
        group_name=folder,
        kinds={"duckdb", "python"},
        description=DESCRIPTIONS[name],
        metadata={"landing_file": f"{folder}/{stem}.{{zip,csv,parquet}}"},
    )
    def _asset(context: dg.AssetExecutionContext, config: LandingConfig, duckdb: DuckDBResource):
        settings = load_settings()
        with duckdb.get_connection() as con:
            result = land_source(name, settings, con, force=config.force,
                                 enforce_national_minimum=config.enforce_national_minimum, log=context.log.info)
            rows = con.execute(f"select count(*) from raw.{spec.table}").fetchone()[0]
            columns = con.execute(
                "select column_name, data_type from information_schema.columns "
                "where table_schema = 'raw' and table_name = ? order by ordinal_position", [spec.table]
            ).fetchall()
        metadata = {
            "dagster/row_count": rows,
            "dagster/column_schema": dg.TableSchema(columns=[dg.TableColumn(n, t) for n, t in columns]),
            "dagster/table_name": f"raw.{spec.table}",
        }
        if result is None:
            metadata["file"] = f"absent: {settings.landing_dir / folder / stem}.{{zip,csv,parquet}}"
        else:
            metadata.update(result.as_metadata())
        return dg.MaterializeResult(metadata=metadata)

    return _asset


def _quarantine_check(name: str) -> dg.AssetChecksDefinition:
    spec = SOURCES[name][2]

    @dg.asset_check(asset=dg.AssetKey(["raw", name]), name="few_rows_quarantined",
                    description="Under 0.1 % of the last load's rows were rejected into quarantine.")
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
            passed=share < 0.001,
            severity=dg.AssetCheckSeverity.WARN,
            metadata={"file": file_name, "rows_quarantined": quarantined, "share": round(share, 6),
                      "quarantine_table": f"quarantine.{spec.table}"},
        )

    return _check


registry_assets = [_landing_asset(name) for name in SOURCES]
registry_checks = [_quarantine_check(name) for name in SOURCES]
