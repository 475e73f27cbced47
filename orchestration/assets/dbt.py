"""The dbt project as assets: one per model and seed, dbt tests as asset checks, sources mapped to `raw` assets.

The project runs in three steps around two Python assets: everything that does not depend on the probabilistic
matching tier (Splink) first, then `source:matching+` up to the predictive model's inputs, then `source:predictions+`
(qualified_leads and what reads it, model_evaluation). Dagster orders the five steps from their dependencies.
Each model's materialisation carries its column types and row count; the marts' also their status counts, score
distribution and top leads.
"""

from dagster_shared.record import replace  # how dagster itself copies a spec with one attribute changed
import os
import shutil
from collections.abc import Iterator, Mapping
from typing import Any
from unittest import mock

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings, DbtCliResource, dbt_assets
from dagster_duckdb import DuckDBResource

from ingestion.lake import attach_spark_tables, export_landed_tables
from ingestion.settings import Settings
from publication.mart_report import mart_report
from orchestration.resources import PipelineSettings, WAREHOUSE_POOL, dbt_project
from orchestration.run_watchdog import RUN_ID_ENV

AFTER_MATCHING = "source:matching+"
AFTER_PREDICTIONS = "source:predictions+"
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
        if "prediction" in fqn:
            return "prediction"
        return fqn[1] if len(fqn) > 2 else super().get_group_name(dbt_resource_props)


    def get_asset_check_spec(self, asset_spec, manifest, unique_id, project):
        """A dbt test as a Dagster check, described: the test's own `description` in the YAML when it has one, else
        what the YAML asks, in words ("lead_score between 0 and 100")."""
        spec = super().get_asset_check_spec(asset_spec, manifest, unique_id, project)
        if spec is None or spec.description:
            return spec
        test = manifest["nodes"][unique_id]
        return replace(spec, description=test.get("description") or describe_test(test))


def describe_test(test: Mapping[str, Any]) -> str:
    """A generic dbt test in words, from its name and arguments; a singular test by its file."""
    meta = test.get("test_metadata") or {}
    if not meta:  # a singular test: its opening comment (after any config line) says what it asserts
        said = []
        for line in (test.get("raw_code") or "").splitlines():
            if line.startswith("--"):
                said.append(line.removeprefix("--").strip())
            elif said or not line.startswith("{{"):
                break
        return " ".join(said) or f"The query in {test.get('original_file_path', test['name'])} returns no row."
    kwargs = {k: v for k, v in (meta.get("kwargs") or {}).items() if k != "model"}
    column = kwargs.pop("column_name", None)
    subject = f"{column}" if column else "The table"
    name = meta.get("name")
    if name == "not_null":
        return f"{subject} is never null."
    if name == "unique":
        return f"{subject} is unique."
    if name == "accepted_values":
        return f"{subject} is one of {', '.join(map(str, kwargs.get('values', [])))} (or null)."
    if name == "relationships":
        return f"Every {subject} is in {kwargs.get('field')} of {str(kwargs.get('to', '')).strip()}."
    if name == "between":
        return f"{subject} lies between {kwargs.get('min_value')} and {kwargs.get('max_value')}."
    arguments = ", ".join(f"{k} = {v}" for k, v in kwargs.items())
    return f"{name.replace('_', ' ')}" + (f" on {column}" if column else "") + (f" ({arguments})" if arguments else "") \
        + f" (macro test_{name})."


TRANSLATOR = LayerTranslator(settings=DagsterDbtTranslatorSettings(enable_code_references=True,
                                                                   # a test on a source is a check of its raw asset
                                                                   enable_source_tests_as_checks=True))


def _dbt_environment(context: dg.AssetExecutionContext, loaded: Settings) -> dict[str, str]:
    """What the `dbt build` of a step is given: the run's as-of date (LEADS_AS_OF, the one date Python and dbt use)
    and the dates the scoring models score (LEADS_SCORED_DATES): today's and the backtest's weekly dates when the run
    rebuilds the backtest, today's alone otherwise (the daily refresh), so that a day costs one date. Environment
    variables, not --vars: a var that differs from the prepared manifest's makes dbt parse the whole project again
    (10 s a step), a changed environment variable only the files that read it. The run id lets the watchdog stop
    this dbt if the run dies. The language of the words sales reads (LEADS_LANGUAGE) comes from the same settings."""
    groups = context.assets_def.group_names_by_key
    with_backtest = any(groups.get(key) == BACKTEST_GROUP for key in context.selected_asset_keys)
    return {"LEADS_AS_OF": loaded.as_of.isoformat(), "LEADS_LANGUAGE": loaded.language,
            "LEADS_SCORED_DATES": "with_backtest" if with_backtest else "today_only",
            "LEADS_ENGINE": loaded.engine, "LEADS_LAKE_DIR": str(loaded.lake_dir),
            RUN_ID_ENV: context.run.run_id}


def _spark_is_installed() -> None:
    """dbt on Spark needs Spark's packages (uv group spark) and Java: a clear sentence when they are missing."""
    import importlib.util

    if importlib.util.find_spec("dbt.adapters.spark") is None or importlib.util.find_spec("pyspark") is None:
        raise dg.Failure("LEADS_ENGINE=spark but dbt-spark and pyspark are not installed in this environment: "
                         "run `make spark` (uv sync --group spark, Java 17), or unset LEADS_ENGINE to build on DuckDB")
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        raise dg.Failure("LEADS_ENGINE=spark but Java is not installed: Spark needs Java 17 (`make spark` installs "
                         "Debian's openjdk-17-jre-headless), or set JAVA_HOME")


def _built_and_described(context: dg.AssetExecutionContext, dbt: DbtCliResource, duckdb: DuckDBResource,
                         settings: PipelineSettings) -> Iterator[Any]:
    """`dbt build`, its events held until dbt exits (dbt holds the DuckDB file while it runs), then each model's
    materialisation given its column types and row count, and the marts their report. dbt's own progress ("k of N")
    is in the logs as it happens; the materialisations reach Dagster when the step ends."""
    loaded = settings.load()
    on_spark = loaded.engine == "spark"
    if on_spark:  # Spark reads what landed, the matching tier and the predictions from the lake's Parquet folders
        _spark_is_installed()
        with duckdb.get_connection() as con:
            written = export_landed_tables(con, loaded.lake_dir, log=context.log.debug)
        context.log.info(f"lake: {len(written)} tables of DuckDB's raw, matching and predictions schemas exported to "
                         f"{loaded.lake_dir} for dbt on Spark")
    held, failure = [], None
    try:
        # in os.environ only while dbt starts (dagster-dbt hands dbt a copy of it), as it was afterwards
        with mock.patch.dict(os.environ, _dbt_environment(context, loaded)):
            invocation = dbt.cli(["build"], context=context)
        for event in invocation.stream():
            held.append(event)
        unread = _built_but_unread(context, invocation, held)
        if unread:  # else the step succeeds and Dagster skips every step after it: a run that "succeeded"
            failure = dg.Failure(
                f"dbt built {len(unread)} model(s) whose result Dagster could not read ({', '.join(unread[:5])}): a "
                "line of dbt's JSON log was broken by other output on the console (the step's log shows it). Find "
                "what writes there, silence it (Spark: spark.ui.showConsoleProgress false), and run the step again.")
    except Exception as error:  # still record what dbt built before failing
        failure = _with_what_to_do(error, loaded)
    if on_spark:  # what dbt built on Spark, readable by the Python steps (and by the descriptions below) from DuckDB
        with duckdb.get_connection() as con:
            attach_spark_tables(con, loaded.lake_dir, log=context.log.info)
    yield from _described(context, duckdb, held)
    if failure is not None:
        raise failure


def _with_what_to_do(error: Exception, loaded: Settings) -> Exception:
    """dbt's error, with the next step when it is one the settings answer: DuckDB out of memory at its cap."""
    if "Out of Memory Error" not in str(error):
        return error
    machine_gb = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") // 2**30
    return dg.Failure(
        f"DuckDB ran out of memory in dbt at its cap LEADS_DUCKDB_MEMORY_LIMIT={loaded.duckdb_memory_limit} (this "
        f"machine has {machine_gb} GB): raise it (the national registry with 1 M leads needs about 12GB), then run "
        f"the step again; what dbt built before is kept.\n{error}")


def _built_but_unread(context: dg.AssetExecutionContext, invocation, held: list) -> list[str]:
    """The models dbt's run_results.json says it built that got no materialisation in this step."""
    materialised = {context.asset_key_for_output(e.output_name).path[-1] for e in held if isinstance(e, dg.Output)}
    results = invocation.get_artifact("run_results.json").get("results", [])
    return sorted(r["unique_id"].split(".")[-1] for r in results
                  if r["unique_id"].startswith("model.") and r.get("status") == "success"
                  and r["unique_id"].split(".")[-1] not in materialised)


def _metadata_value(name: str, value: Any) -> Any:
    if name.endswith("_table"):
        return dg.MetadataValue.md(value)
    return dg.MetadataValue.json(value) if isinstance(value, dict) else value


def _table_description(con, table_name: str, materialized: str | None,
                       declared: dg.TableSchema | None) -> dict[str, Any]:
    """Column types as the warehouse has them (with the descriptions the dbt YAML gives), and the row count of a
    table (not of a view: counting one runs its query)."""
    _, schema, table = table_name.split(".")
    columns = con.execute("select column_name, data_type from information_schema.columns "
                          "where table_schema = ? and table_name = ? order by ordinal_position",
                          [schema, table]).fetchall()
    descriptions = {c.name: c.description for c in declared.columns} if declared else {}
    metadata: dict[str, Any] = {"dagster/column_schema": dg.TableSchema(columns=[
        dg.TableColumn(name, data_type.lower(), description=descriptions.get(name)) for name, data_type in columns])}
    if materialized != "view":
        metadata["dagster/row_count"] = con.execute(f'select count(*) from "{schema}"."{table}"').fetchone()[0]
    return metadata


def _in_seconds(metadata: Mapping[str, Any]) -> dict[str, Any]:
    """dagster-dbt's "Execution Duration" (of a model or a test) is in seconds: its name says so."""
    renamed = dict(metadata)
    if "Execution Duration" in renamed:
        renamed["Execution Duration (s)"] = renamed.pop("Execution Duration")
    return renamed


def _described(context: dg.AssetExecutionContext, duckdb: DuckDBResource, held: list) -> Iterator[Any]:
    """The held events in dbt's order, each model's materialisation with its types and row count, the marts' with
    their report (status counts, score distribution, top leads)."""
    held = [event._replace(metadata=_in_seconds(event.metadata)) if isinstance(event, dg.AssetCheckResult) else event
            for event in held]
    if not any(isinstance(event, dg.Output) for event in held):
        yield from held
        return
    with duckdb.get_connection() as con:
        for event in held:
            if isinstance(event, dg.Output):
                key = context.asset_key_for_output(event.output_name)
                spec = context.assets_def.specs_by_key[key]
                extra: dict[str, Any] = {}
                metadata = _in_seconds(event.metadata)
                try:
                    extra.update(_table_description(con, spec.metadata["dagster/table_name"],
                                                    spec.metadata.get("dagster-dbt/materialization_type"),
                                                    spec.metadata.get("dagster/column_schema")))
                    if key.path[-1] in REPORTED_MARTS:
                        report = mart_report(con, key.path[-1])
                        extra.update({name.removesuffix("_table"): _metadata_value(name, value)
                                      for name, value in report.items()})
                        if "status_counts" in report:
                            context.log.info(f"lead statuses: {report['status_counts']}")
                except Exception as error:  # a description must never hide a successful build
                    context.log.warning(f"could not describe {key.to_user_string()}: {error}")
                event = event.with_metadata({**metadata, **extra})
            yield event


def _dbt_step(name: str, **selection: str) -> dg.AssetsDefinition:
    """One dbt step: the models a dbt selection (select= or exclude=) picks, built and described."""

    @dbt_assets(manifest=dbt_project.manifest_path, project=dbt_project, dagster_dbt_translator=TRANSLATOR,
                name=name, pool=WAREHOUSE_POOL, **selection)
    def _step(context: dg.AssetExecutionContext, dbt: DbtCliResource, duckdb: DuckDBResource,
              settings: PipelineSettings):
        yield from _built_and_described(context, dbt, duckdb, settings)

    return _step


dbt_models = _dbt_step("dbt_models", exclude=f"{AFTER_MATCHING} {AFTER_PREDICTIONS}")
dbt_models_after_matching = _dbt_step("dbt_models_after_matching", select=AFTER_MATCHING, exclude=AFTER_PREDICTIONS)
dbt_models_after_predictions = _dbt_step("dbt_models_after_predictions", select=AFTER_PREDICTIONS)
dbt_asset_defs = [dbt_models, dbt_models_after_matching, dbt_models_after_predictions]
