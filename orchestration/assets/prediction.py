"""The predictive challenger (prediction/) between the dbt steps: the weekly training on the backtest's rows, recorded
with its comparison to the rules, and the daily scoring of today's leads by the model in use."""

import dagster as dg
from dagster_duckdb import DuckDBResource

from orchestration.assets.dbt import dbt_models_after_matching
from orchestration.resources import PipelineSettings, WAREHOUSE_POOL
from prediction.conversion_model import TrainingSettings
from prediction.store import predict_today, train
from ingestion.settings import dbt_vars


def _model_key(name: str) -> dg.AssetKey:
    """A model of the dbt step before the predictions, by its dbt name (the step's specs carry it)."""
    for spec in dbt_models_after_matching.specs:
        if spec.key.path[-1] == name:
            return spec.key
    raise KeyError(f"dbt model {name} is not in the step after matching")


@dg.asset(
    pool=WAREHOUSE_POOL,
    key=["predictions", "models"],
    group_name="prediction",
    kinds={"duckdb", "python", "lightgbm"},
    deps=[_model_key("int_backtest__training_set")],
    description="Weekly: gradient-boosted trees (LightGBM) learn an opportunity and a won deal from the backtest's "
                "(lead, past date) rows, with a time split (fit on the older dates, a horizon's embargo, validated on "
                "the 6 newest), calibrated; compared with the rules' lead score on AUC and top-decile lift with a "
                "lead-bootstrap interval. Used only where it beats the rules; below the minimum volume it is not "
                "trained. Every training is recorded in predictions.models.",
)
def lead_conversion_model(context: dg.AssetExecutionContext, duckdb: DuckDBResource, settings: PipelineSettings):
    loaded = settings.load()
    training = TrainingSettings(min_leads=loaded.model_min_leads, min_positives=loaded.model_min_positives,
                                max_training_rows=loaded.model_max_rows,
                                horizon_days=int(dbt_vars()["backtest_horizon_days"]))
    with duckdb.get_connection() as con:
        recorded = train(con, loaded.as_of, training, log=context.log.info)
    metadata = {}
    for model_id, result in recorded:
        prefix = result.target
        metadata[f"{prefix}_model_id"] = model_id
        metadata[f"{prefix}_status"] = result.status
        metadata[f"{prefix}_reason"] = result.reason
        metadata[f"{prefix}_leads"] = result.leads
        metadata[f"{prefix}_positives"] = result.positives
        for name in ("model_auc", "rules_auc", "auc_gain_lower", "model_top_decile_lift", "rules_top_decile_lift",
                     "top_decile_lift_gain_lower"):
            if name in result.metrics:
                metadata[f"{prefix}_{name}"] = round(float(result.metrics[name]), 4)
        if result.seconds:
            metadata[f"{prefix}_seconds"] = result.seconds.get("total")
    return dg.MaterializeResult(metadata=metadata)


@dg.asset(
    pool=WAREHOUSE_POOL,
    key=["predictions", "lead_predictions"],
    group_name="prediction",
    kinds={"duckdb", "python", "lightgbm"},
    deps=[_model_key("int_leads__model_features"), lead_conversion_model.key],
    description="Today's leads scored by the latest model in use: a calibrated probability of an opportunity and the "
                "three facts that moved it most, in the language of the run; empty while the rules are kept. "
                "qualified_leads shows them beside the rules' scores.",
)
def lead_predictions(context: dg.AssetExecutionContext, duckdb: DuckDBResource, settings: PipelineSettings):
    loaded = settings.load()
    with duckdb.get_connection() as con:
        done = predict_today(con, loaded.as_of, loaded.language, log=context.log.info)
    return dg.MaterializeResult(metadata={"model_id": done["model_id"] or "none: the rules are kept",
                                          "dagster/row_count": done["leads_scored"]})


prediction_assets = [lead_conversion_model, lead_predictions]
