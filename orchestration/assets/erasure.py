"""Erasure on disk: once the models are rebuilt without the people who asked to be erased, the warehouse file is
rewritten so that the bytes of their deleted rows leave the disk too (DuckDB keeps freed blocks until it reuses
them). The publication waits for it."""

import dagster as dg

from privacy.erasure import rewrite_warehouse_file
from ingestion.warehouse import connection_config
from orchestration.assets.dbt import dbt_asset_defs
from orchestration.resources import PipelineSettings, WAREHOUSE_POOL


@dg.asset(
    pool=WAREHOUSE_POOL,
    key=["erasure", "warehouse_file_rewritten"],
    group_name="erasure",
    kinds={"duckdb"},
    deps=[key for assets in dbt_asset_defs for key in assets.keys],
    description="When erasure requests arrived since the last rewrite: the warehouse copied into a fresh file and "
                "renamed over the old one, after every model of the run was rebuilt without the erased people. "
                "Nothing to do (a second) on other runs.",
)
def warehouse_file_rewritten(context: dg.AssetExecutionContext, settings: PipelineSettings) -> dg.MaterializeResult:
    settings = settings.load()
    if settings.is_motherduck:  # no local file: MotherDuck stores and compacts the database itself
        context.log.info("the warehouse is a MotherDuck database: no local file to rewrite")
        return dg.MaterializeResult(metadata={"rewritten": False})
    rewrite = rewrite_warehouse_file(settings.duckdb_path, connection_config(settings), log=context.log.info)
    if rewrite is None:
        context.log.info("no erasure request since the last rewrite: the warehouse file is left as it is")
        return dg.MaterializeResult(metadata={"rewritten": False})
    return dg.MaterializeResult(metadata={
        "rewritten": True,
        "requests": rewrite.requests,
        "size_before_mb": round(rewrite.bytes_before / 1e6, 1),
        "size_after_mb": round(rewrite.bytes_after / 1e6, 1),
        "duration_s": round(rewrite.duration_s, 1),
    })
