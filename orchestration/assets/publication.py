"""The publication for BI tools: the marts copied to LEADS_PUBLISH_DIR as a DuckDB file and Parquet files, swapped in
atomically. It runs only after the marts and their dbt tests succeeded in the same run: a failed test fails the dbt
step and Dagster skips this one, so the last good publication stays in place."""

import dagster as dg

from ingestion.publish import BI_VIEWS, PUBLISHED_MARTS, publish_marts
from ingestion.settings import load_settings


@dg.asset(
    key=["published", "leads"],
    group_name="publication",
    kinds={"duckdb", "parquet"},
    deps=[dg.AssetKey(["marts", mart]) for mart in PUBLISHED_MARTS],
    description="leads.duckdb (the four marts and the BI views " + ", ".join(BI_VIEWS) + ") and parquet/<mart>.parquet "
                "in LEADS_PUBLISH_DIR, each written aside and renamed into place: readers never see a half-written "
                "file and never block the pipeline.",
)
def published_leads(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
    publication = publish_marts(load_settings(), log=context.log.info)
    return dg.MaterializeResult(metadata={
        "path": dg.MetadataValue.path(str(publication.database)),
        "as_of": publication.as_of,
        "rows": dg.MetadataValue.json(publication.rows),
        "parquet": dg.MetadataValue.json({m: str(p) for m, p in publication.parquet_files.items()}),
        "views": dg.MetadataValue.json(publication.views),
        "dagster/row_count": publication.rows["qualified_leads"],
    })
