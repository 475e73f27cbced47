"""The one Definitions object of the code location (`dagster dev` and `dagster asset materialize` load this)."""

import dagster as dg

from orchestration import automation
from orchestration.assets.crm_intent import crm_exports, intent_assets, intent_checks
from orchestration.assets.crm_sync import crm_api_pull, crm_pushed_scores
from orchestration.assets.dbt import dbt_asset_defs
from orchestration.assets.erasure import warehouse_file_rewritten
from orchestration.assets.freshness import freshness_checks
from orchestration.assets.matching import crm_company_candidates, matching_checks
from orchestration.assets.prediction import prediction_assets
from orchestration.assets.publication import published_leads, qualification_report
from orchestration.assets.registry import registry_assets, registry_checks
from orchestration.jobs import download_sirene_stock_job
from orchestration.progress import progress_logger
from orchestration.resources import build_resources

ALL_ASSETS = [*registry_assets, crm_api_pull, crm_exports, *intent_assets, *dbt_asset_defs, crm_company_candidates,
              *prediction_assets, warehouse_file_rewritten, published_leads, qualification_report, crm_pushed_scores]
ALL_CHECKS = [*registry_checks, *intent_checks, *matching_checks, *freshness_checks]

defs = dg.Definitions(
    assets=ALL_ASSETS,
    asset_checks=ALL_CHECKS,
    jobs=[download_sirene_stock_job, *automation.jobs],
    schedules=automation.schedules,
    sensors=automation.sensors,
    resources=build_resources(),
    # Dagster's console logger, the default; the terminal runner (orchestration.materialize) adds `progress`
    loggers={"console": dg.colored_console_logger, "progress": progress_logger},
    # One DuckDB file takes one writing process at a time: steps run one after another in the run's process.
    executor=dg.in_process_executor,
)
