"""The dbt project as assets: one per model and seed, dbt tests as asset checks, sources mapped to `raw` assets.

The project runs in two steps around the probabilistic matching tier (a Python asset, Splink): everything that does
not depend on its output first, then `source:matching+`. Dagster orders the three steps from their dependencies.
"""

from collections.abc import Mapping
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings, DbtCliResource, dbt_assets

from orchestration.resources import dbt_project

AFTER_MATCHING = "source:matching+"


class LayerTranslator(DagsterDbtTranslator):
    """Groups follow the dbt folders: `reference` for seeds, then `staging`, `intermediate`, `marts`."""

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        if dbt_resource_props["resource_type"] == "seed":
            return "reference"
        fqn = dbt_resource_props.get("fqn", [])
        return fqn[1] if len(fqn) > 2 else super().get_group_name(dbt_resource_props)


TRANSLATOR = LayerTranslator(settings=DagsterDbtTranslatorSettings(enable_code_references=True))


@dbt_assets(manifest=dbt_project.manifest_path, project=dbt_project, dagster_dbt_translator=TRANSLATOR,
            exclude=AFTER_MATCHING, name="dbt_models")
def dbt_models(context: dg.AssetExecutionContext, dbt: DbtCliResource):
    yield from dbt.cli(["build"], context=context).stream()


@dbt_assets(manifest=dbt_project.manifest_path, project=dbt_project, dagster_dbt_translator=TRANSLATOR,
            select=AFTER_MATCHING, name="dbt_models_after_matching")
def dbt_models_after_matching(context: dg.AssetExecutionContext, dbt: DbtCliResource):
    yield from dbt.cli(["build"], context=context).stream()


dbt_asset_defs = [dbt_models, dbt_models_after_matching]
