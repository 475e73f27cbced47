"""The publication for BI tools: the marts copied to LEADS_PUBLISH_DIR as a DuckDB file and Parquet files, swapped in
atomically. It runs only after the marts and their dbt tests succeeded in the same run: a failed test fails the dbt
step and Dagster skips this one, so the last good publication stays in place."""

import base64

import dagster as dg

from publication.publish import BI_VIEWS, PUBLISHED_MARTS, publish_marts
from publication.report import write_report
from orchestration.assets.erasure import warehouse_file_rewritten
from orchestration.resources import PipelineSettings


@dg.asset(
    key=["published", "leads"],
    group_name="publication",
    kinds={"duckdb", "parquet"},
    deps=[*(dg.AssetKey(["marts", mart]) for mart in PUBLISHED_MARTS), warehouse_file_rewritten],
    description="leads.duckdb (the published marts and the BI views " + ", ".join(BI_VIEWS) + ") and parquet/<mart>.parquet "
                "in LEADS_PUBLISH_DIR, each written aside and renamed into place: readers never see a half-written "
                "file and never block the pipeline.",
)
def published_leads(context: dg.AssetExecutionContext, settings: PipelineSettings) -> dg.MaterializeResult:
    publication = publish_marts(settings.load(), log=context.log.info)
    return dg.MaterializeResult(metadata={
        "path": dg.MetadataValue.path(str(publication.database)),
        "as_of": publication.as_of,
        "rows": dg.MetadataValue.json(publication.rows),
        "parquet": dg.MetadataValue.json({m: str(p) for m, p in publication.parquet_files.items()}),
        "views": dg.MetadataValue.json(publication.views),
        "dagster/row_count": publication.rows["qualified_leads"],
    })


@dg.asset(
    key=["published", "qualification_report"],
    group_name="publication",
    kinds={"html", "png"},
    deps=[published_leads],
    description="Does qualification work? report/index.html in LEADS_PUBLISH_DIR — the backtest's findings in words, "
                "the funnel, the lift by lead-score decile and the time to SQL as PNG charts (also shown here) — "
                "drawn from the publication.",
)
def qualification_report(context: dg.AssetExecutionContext, settings: PipelineSettings) -> dg.MaterializeResult:
    report = write_report(settings.load(), log=context.log.info)
    metadata = {
        "page": dg.MetadataValue.path(str(report.page)),
        "findings": dg.MetadataValue.md("\n".join(f"- {line}" for line in report.headlines)),
    }
    if report.summary:
        metadata["top_decile_lift"] = report.summary["top_decile_lift"]
        metadata["top_decile_random_lift"] = report.summary["top_decile_random_lift"]
    for name, path in report.charts.items():
        encoded = base64.b64encode(path.read_bytes()).decode()
        metadata[f"chart_{name}"] = dg.MetadataValue.md(f"![{name}](data:image/png;base64,{encoded})")
    return dg.MaterializeResult(metadata=metadata)
