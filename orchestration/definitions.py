"""The one Definitions object of the code location (`dagster dev` and `dagster asset materialize` load this)."""

import dagster as dg

from ingestion.settings import load_settings
from orchestration.assets.dbt import dbt_models
from orchestration.assets.registry import registry_assets, registry_checks
from orchestration.jobs import download_sirene_stock_job
from orchestration.resources import build_resources

defs = dg.Definitions(
    assets=[*registry_assets, dbt_models],
    asset_checks=registry_checks,
    jobs=[download_sirene_stock_job],
    resources=build_resources(load_settings()),
    # One DuckDB file takes one writer process at a time: steps run one after another in the run's process.
    executor=dg.in_process_executor,
)
