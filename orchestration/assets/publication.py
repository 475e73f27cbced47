"""The publication for BI tools: the marts copied to LEADS_PUBLISH_DIR as a DuckDB file and Parquet files, swapped in
atomically. It runs only after the marts and their dbt tests succeeded in the same run: a failed test fails the dbt
step and Dagster skips this one, so the last good publication stays in place."""

import base64

import dagster as dg

from publication.publish import BI_VIEWS, PUBLISHED_MARTS, publish_marts
from publication.report import write_report
from orchestration.assets.erasure import warehouse_file_rewritten
from orchestration.resources import PipelineSettings, WAREHOUSE_POOL


FAILED_CHECKS_TAG = "leads/failed_checks"


def failed_checks_of_run(context: dg.AssetExecutionContext) -> list[str]:
    """The checks that failed earlier in this run (the blocking ones stop the run before this), one line each: the
    asset, the check, the severity and what it found."""
    records = context.instance.get_records_for_run(
        context.run.run_id, of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION, limit=10_000).records
    lines = []
    for record in records:
        evaluation = record.event_log_entry.dagster_event.event_specific_data
        if evaluation.passed:
            continue
        severity = "warning" if evaluation.severity == dg.AssetCheckSeverity.WARN else "error"
        where = [f"{k} {getattr(v, 'value', v)}" for k, v in evaluation.metadata.items()
                 if k in ("file", "files", "quarantine_table", "table")]
        found = "; ".join(part for part in [evaluation.description, *where] if part)
        lines.append(f"{evaluation.asset_key.to_user_string()} {evaluation.check_name} ({severity})"
                     + (f": {found}" if found else ""))
    return lines


@dg.asset(
    pool=WAREHOUSE_POOL,
    key=["published", "leads"],
    group_name="publication",
    kinds={"duckdb", "parquet"},
    deps=[*(dg.AssetKey(["marts", mart]) for mart in PUBLISHED_MARTS), warehouse_file_rewritten],
    description="leads.duckdb (the published marts and the BI views " + ", ".join(BI_VIEWS) + ") and parquet/<mart>.parquet "
                "in LEADS_PUBLISH_DIR, each written aside and renamed into place: readers never see a half-written "
                "file and never block the pipeline.",
)
def published_leads(context: dg.AssetExecutionContext, settings: PipelineSettings) -> dg.MaterializeResult:
    failed = failed_checks_of_run(context)
    publication = publish_marts(settings.load(), log=context.log.info, failed_checks=failed)
    if failed:  # seen in the run list, and in the summary (publication.json)
        context.instance.add_run_tags(context.run.run_id, {FAILED_CHECKS_TAG: str(len(failed))})
        context.log.warning(f"published with {len(failed)} failed check(s): " + "; ".join(failed))
    return dg.MaterializeResult(metadata={
        "failed_checks": dg.MetadataValue.md("\n".join(f"- {line}" for line in failed) or "none"),
        "path": dg.MetadataValue.path(str(publication.database)),
        "as_of": publication.as_of,
        "rows": dg.MetadataValue.json(publication.rows),
        "parquet": dg.MetadataValue.json({m: str(p) for m, p in publication.parquet_files.items()}),
        "views": dg.MetadataValue.json(publication.views),
        "dagster/row_count": publication.rows["qualified_leads"],
    })


@dg.asset(
    pool=WAREHOUSE_POOL,
    key=["published", "qualification_report"],
    group_name="publication",
    kinds={"html", "png"},
    deps=[published_leads],
    description="report/index.html in LEADS_PUBLISH_DIR, the page a sales manager acts on (French by default, "
                "LEADS_LANGUAGE=en for English): who to contact this week, the funnel, and does qualification "
                "work? — the backtest's findings in words, the funnel, the lift by lead-score decile and the time to "
                "SQL as PNG charts (also shown here) — drawn from the publication.",
)
def qualification_report(context: dg.AssetExecutionContext, settings: PipelineSettings) -> dg.MaterializeResult:
    report = write_report(settings.load(), log=context.log.info)
    metadata = {
        "page": dg.MetadataValue.path(str(report.page)),
        # the Dagster UI stays in English whatever the report's language
        "findings": dg.MetadataValue.md("\n".join(f"- {line}" for line in report.headlines_en)),
    }
    if report.summary:
        metadata["top_decile_lift"] = report.summary["top_decile_lift"]
        metadata["top_decile_random_lift"] = report.summary["top_decile_random_lift"]
    for name, path in report.charts.items():
        encoded = base64.b64encode(path.read_bytes()).decode()
        metadata[f"chart_{name}"] = dg.MetadataValue.md(f"![{name}](data:image/png;base64,{encoded})")
    return dg.MaterializeResult(metadata=metadata)
