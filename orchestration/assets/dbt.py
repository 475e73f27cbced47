"""The dbt project as assets: one per model and seed, dbt tests as asset checks, sources mapped to `raw` assets.

The project runs in two steps around the probabilistic matching tier (a Python asset, Splink): everything that does
not depend on its output first, then `source:matching+`. Dagster orders the three steps from their dependencies.
The marts' materialisations carry status counts, score distribution and top leads as metadata.
"""

import json
import os
from collections.abc import Iterator, Mapping
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings, DbtCliResource, dbt_assets
from dagster_duckdb import DuckDBResource

from publication.mart_report import mart_report
from orchestration.resources import PipelineSettings, dbt_project
from orchestration.run_watchdog import RUN_ID_ENV

AFTER_MATCHING = "source:matching+"
BACKTEST_GROUP = "backtest"
REPORTED_MARTS = {"qualified_leads", "account_scores", "target_accounts", "lead_status_history"}


class LayerTranslator(DagsterDbtTranslator):
    """Groups follow the dbt folders: `reference` for seeds, then `staging`, `intermediate`, `marts`; the backtest's
    models and marts (weekly, not daily) have their own group, `backtest`."""

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        if dbt_resource_props["resource_type"] == "seed":
            return "reference"
        fqn = dbt_resource_props.get("fqn", [])
        if "backtest" in fqn or fqn[-1:] and fqn[-1].startswith("backtest_"):
            return "backtest"
        return fqn[1] if len(fqn) > 2 else super().get_group_name(dbt_resource_props)


TRANSLATOR = LayerTranslator(settings=DagsterDbtTranslatorSettings(enable_code_references=True))


def _dbt_build(context: dg.AssetExecutionContext, settings: PipelineSettings) -> list[str]:
    """`dbt build` at the run's as-of date (LEADS_AS_OF, the one date Python and dbt use), with the dates the scoring
    models score (var scored_dates): today's and the backtest's weekly dates when the run rebuilds the backtest,
    today's alone otherwise (the daily refresh), so that a day costs one date."""
    os.environ["LEADS_AS_OF"] = settings.load().as_of.isoformat()
    groups = context.assets_def.group_names_by_key
    with_backtest = any(groups.get(key) == BACKTEST_GROUP for key in context.selected_asset_keys)
    os.environ[RUN_ID_ENV] = context.run.run_id  # the dbt process carries it: the watchdog stops it if this run dies
    return ["build", "--vars", json.dumps({"scored_dates": "with_backtest" if with_backtest else "today_only"})]


@dbt_assets(manifest=dbt_project.manifest_path, project=dbt_project, dagster_dbt_translator=TRANSLATOR,
            exclude=AFTER_MATCHING, name="dbt_models")
def dbt_models(context: dg.AssetExecutionContext, dbt: DbtCliResource, settings: PipelineSettings):
    yield from dbt.cli(_dbt_build(context, settings), context=context).stream()


def _reported_mart(context: dg.AssetExecutionContext, event: Any) -> str | None:
    if isinstance(event, dg.Output):
        key = context.asset_key_for_output(event.output_name)
    else:
        key = getattr(event, "asset_key", None)
    return key.path[-1] if key is not None and key.path[-1] in REPORTED_MARTS else None


def _metadata_value(name: str, value: Any) -> Any:
    if name.endswith("_table"):
        return dg.MetadataValue.md(value)
    return dg.MetadataValue.json(value) if isinstance(value, dict) else value


def _with_reports(context: dg.AssetExecutionContext, duckdb: DuckDBResource, held: list) -> Iterator[Any]:
    """The held mart events, their materialisations enriched with the mart's report (dbt has exited: the warehouse
    can be read)."""
    with duckdb.get_connection() as con:
        for event in held:
            mart = _reported_mart(context, event)
            if mart and isinstance(event, dg.Output):
                try:
                    report = mart_report(con, mart)
                except Exception as error:  # a report must never hide a successful build
                    context.log.warning(f"could not summarise marts.{mart}: {error}")
                    report = {}
                extra = {name.removesuffix("_table"): _metadata_value(name, value) for name, value in report.items()}
                event = event.with_metadata({**event.metadata, **extra})
                if "status_counts" in report:
                    context.log.info(f"lead statuses: {report['status_counts']}")
            yield event


@dbt_assets(manifest=dbt_project.manifest_path, project=dbt_project, dagster_dbt_translator=TRANSLATOR,
            select=AFTER_MATCHING, name="dbt_models_after_matching")
def dbt_models_after_matching(context: dg.AssetExecutionContext, dbt: DbtCliResource, duckdb: DuckDBResource,
                              settings: PipelineSettings):
    # dbt holds the DuckDB file while it runs: from the first mart on, events are held back (in order, as Dagster
    # wants them topological) and the marts reported once dbt has exited.
    held, failure = [], None
    try:
        for event in dbt.cli(_dbt_build(context, settings), context=context).stream():
            if held or _reported_mart(context, event):
                held.append(event)
            else:
                yield event
    except Exception as error:  # still record what dbt built before failing
        failure = error
    yield from _with_reports(context, duckdb, held)
    if failure is not None:
        raise failure


dbt_asset_defs = [dbt_models, dbt_models_after_matching]
