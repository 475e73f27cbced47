"""Publish the marts for BI tools in LEADS_PUBLISH_DIR: `leads.duckdb` (the marts as tables plus documented BI views)
and `parquet/<mart>.parquet` for tools without a DuckDB driver.

Every file is written aside and swapped in with an atomic rename. A BI tool that holds the published file open keeps
reading the version it opened (same inode) and never blocks the pipeline, which never opens the published path for
writing; a failure before the swap leaves the last good publication as it was. The DuckDB file is written in a storage
format that DuckDB 1.0 and later open, so the drivers BI tools bundle (1.4, 1.5 lines) read it.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from ingestion.settings import Settings
from ingestion.warehouse import Log, connection_config, table_exists

logger = logging.getLogger(__name__)

# The backtest's marts come from its weekly run: published when they exist, not required (a first daily run publishes
# the others).
BACKTEST_MARTS = ["backtest_summary", "backtest_lift", "backtest_status_accuracy", "backtest_won_accounts",
                  "backtest_qualified_leads", "backtest_qualification_paths", "model_evaluation"]
PUBLISHED_MARTS = ["qualified_leads", "account_scores", "target_accounts", "lead_status_history", "funnel",
                   *BACKTEST_MARTS]
DATABASE_NAME = "leads.duckdb"
# The oldest storage format that holds these tables: DuckDB 1.0+ clients open it.
STORAGE_VERSION = "v1.0.0"

# Views for BI tools, documented here and in the README; they read the published tables only.
BI_VIEWS = {
    "leads_to_contact": """
        -- Sales' call list: MQLs and SQLs that may be contacted, best first.
        select lead_id, status, sql_source, lead_score, fit_score, engagement_score, intent_score, first_name,
               last_name, email, job_title, company_name, siren, naf_label, headcount_band_label, region_name,
               score_reasons, mql_at, sql_at, as_of
        from qualified_leads
        where status in ('mql', 'sql') and contactable
        order by case status when 'sql' then 1 else 2 end, lead_score desc, lead_id""",
    "status_summary": """
        -- Leads by status and CRM, with average scores: the headline numbers of a dashboard.
        select as_of, crm_source, status, count(*) as leads,
               count(*) filter (where contactable) as contactable_leads,
               round(avg(lead_score), 1) as avg_lead_score, round(avg(fit_score), 1) as avg_fit_score,
               round(avg(engagement_score), 1) as avg_engagement_score, round(avg(intent_score), 1) as avg_intent_score
        from qualified_leads group by all""",
    "time_to_qualification": """
        -- Days from a lead's first recorded status to MQL and to SQL.
        with first_seen as (select lead_id, min(changed_on) as first_seen_on from lead_status_history group by 1)
        select q.lead_id, q.status, f.first_seen_on, q.mql_at, q.sql_at,
               q.mql_at - f.first_seen_on as days_to_mql, q.sql_at - f.first_seen_on as days_to_sql
        from qualified_leads q join first_seen f using (lead_id)""",
}


class PublicationError(RuntimeError):
    """The marts are not fit to publish; the last good publication stays in place."""


@dataclass
class Publication:
    database: Path
    parquet_files: dict[str, Path]
    rows: dict[str, int]
    as_of: str | None
    manifest: Path
    views: list[str] = field(default_factory=lambda: list(BI_VIEWS))


def _check_publishable(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """The gate before any swap: every mart exists (the backtest's when it has run), qualified_leads is not empty and
    has one row per lead. Returns the rows of each mart to publish."""
    rows = {}
    for mart in PUBLISHED_MARTS:
        found = con.execute("select count(*) from information_schema.tables where table_catalog = 'warehouse' "
                            "and table_schema = 'marts' and table_name = ?", [mart]).fetchone()[0]
        if not found and mart in BACKTEST_MARTS:
            continue
        if not found:
            raise PublicationError(f"marts.{mart} does not exist: materialise the marts before publishing")
        rows[mart] = con.execute(f"select count(*) from warehouse.marts.{mart}").fetchone()[0]
    if rows["qualified_leads"] == 0:
        raise PublicationError("marts.qualified_leads is empty: not publishing over the last good publication")
    duplicates = con.execute(
        "select count(*) - count(distinct lead_id) from warehouse.marts.qualified_leads").fetchone()[0]
    if duplicates:
        raise PublicationError(f"marts.qualified_leads has {duplicates} duplicated lead_id: not publishing")
    return rows


def publish_marts(settings: Settings, log: Log = logger.info, failed_checks: Sequence[str] = ()) -> Publication:
    """Write the publication aside, reading the warehouse read-only, then swap each file in atomically.
    `failed_checks` (the run's warnings, one line each) are written in publication.json for the summary."""
    publish_dir = settings.publish_dir
    with duckdb.connect(config=connection_config(settings)) as con:
        con.execute(f"attach '{settings.duckdb_path}' as warehouse (read_only)")
        return _publish(con, publish_dir, log, failed_checks)


def last_build_at(con: duckdb.DuckDBPyConnection, database: str | None = None) -> dt.datetime | None:
    """When dbt last built the marts, in UTC (ops.dbt_builds, which its on-run-end hook writes), or None before the
    first build. `database`: the name the warehouse is attached as, when it is not the connection's own."""
    if not table_exists(con, "ops", "dbt_builds"):
        return None
    table = f"{database}.ops.dbt_builds" if database else "ops.dbt_builds"
    return con.execute(f"select max(finished_at) from {table}").fetchone()[0]


def _publish(con: duckdb.DuckDBPyConnection, publish_dir: Path, log: Log,
             failed_checks: Sequence[str] = ()) -> Publication:
    rows = _check_publishable(con)
    publish_dir.mkdir(parents=True, exist_ok=True)
    parquet_dir = publish_dir / "parquet"
    parquet_dir.mkdir(exist_ok=True)
    stamp = f"{os.getpid()}-{dt.datetime.now(dt.timezone.utc).strftime('%Y%m%dT%H%M%S%f')}"
    staged_db = publish_dir / f".{DATABASE_NAME}.{stamp}.tmp"
    marts = list(rows)
    if missing := [m for m in PUBLISHED_MARTS if m not in rows]:
        log(f"not published yet (the weekly backtest has not run): {', '.join(missing)}")
    staged_parquet = {mart: parquet_dir / f".{mart}.{stamp}.tmp" for mart in marts}
    try:
        con.execute(f"attach '{staged_db}' as publication (storage_version '{STORAGE_VERSION}')")
        try:
            for mart in marts:
                con.execute(f"create table publication.main.{mart} as select * from warehouse.marts.{mart}")
                log(f"staged {mart}: {rows[mart]:,} rows")
            for name, sql in BI_VIEWS.items():
                con.execute(f"create view publication.main.{name} as {sql}")
        finally:
            con.execute("detach publication")
        for mart, path in staged_parquet.items():
            con.execute(f"copy (select * from warehouse.marts.{mart}) to '{path}' (format parquet, compression zstd)")
        as_of = con.execute("select max(as_of) from warehouse.marts.qualified_leads").fetchone()[0]
        built_at = last_build_at(con, "warehouse")
        # the swap: each rename is atomic; the manifest is written last and names what is published
        database = publish_dir / DATABASE_NAME
        os.replace(staged_db, database)
        parquet_files = {}
        for mart, path in staged_parquet.items():
            parquet_files[mart] = parquet_dir / f"{mart}.parquet"
            os.replace(path, parquet_files[mart])
        manifest = publish_dir / "publication.json"
        staged_manifest = publish_dir / f".publication.json.{stamp}.tmp"
        staged_manifest.write_text(json.dumps({
            "published_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
            "as_of": str(as_of) if as_of else None, "rows": rows, "database": DATABASE_NAME,
            "parquet": {mart: f"parquet/{mart}.parquet" for mart in marts}, "views": list(BI_VIEWS),
            # the dbt build these marts come from (ops.dbt_builds, UTC), and the checks that failed in the run
            "warehouse_built_at": built_at.isoformat(sep=" ") if built_at else None,
            "failed_checks": list(failed_checks),
        }, indent=2) + "\n")
        os.replace(staged_manifest, manifest)
    finally:
        for leftover in [staged_db, *staged_parquet.values(), Path(f"{staged_db}.wal")]:
            leftover.unlink(missing_ok=True)
    log(f"published {database} and {len(parquet_files)} parquet files (as of {as_of})")
    return Publication(database, parquet_files, rows, str(as_of) if as_of else None, manifest)
