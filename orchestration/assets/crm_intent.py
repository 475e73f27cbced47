"""Ingestion assets for the CRM exports and the intent feeds (web, email, signals, BODACC)."""

import dagster as dg
from dagster_duckdb import DuckDBResource

from ingestion.crm import land_crm
from ingestion.intent import FEEDS, ids_repeated_with_other_content, land_feed
from orchestration.assets.freshness import last_updated_metadata
from orchestration.assets.quality import percent
from orchestration.resources import PipelineSettings, WAREHOUSE_POOL


class ReloadConfig(dg.Config):
    force: bool = False
    """Land every file again even when its content was already landed."""


def _table_metadata(con, table: str, logged_as: str | None = None) -> dict:
    """Rows, table name, and when new content last came in (logged_as: the raw._load_log name of the load, the CRM
    snapshot's for its four tables), which the source freshness checks read."""
    return {"dagster/row_count": con.execute(f"select count(*) from raw.{table}").fetchone()[0],
            "dagster/table_name": f"raw.{table}", **last_updated_metadata(con, logged_as or table)}


@dg.multi_asset(
    pool=WAREHOUSE_POOL,
    specs=[
        dg.AssetSpec(["raw", "crm_records"], group_name="crm", kinds={"duckdb", "python"}, deps=[["landing", "crm_api"]],
                     description="Every CRM export (HubSpot, Salesforce) as one snapshot: one row per file, record, "
                                 "header and value; the mapping seed turns headers into fields."),
        dg.AssetSpec(["raw", "crm_identifier_checks"], group_name="crm", kinds={"duckdb", "python"},
                     description="Each SIREN, SIRET and VAT value found in the CRM, normalised and checked with "
                                 "python-stdnum."),
        dg.AssetSpec(["raw", "crm_date_columns"], group_name="crm", kinds={"duckdb", "python"},
                     description="The CRM columns of dates written dd/mm or mm/dd (exports re-saved by Excel), with the "
                                 "day/month order their values show, or none when no value tells it."),
        dg.AssetSpec(["raw", "crm_erasure_requests"], group_name="crm", kinds={"duckdb", "python"},
                     description="crm/erasure_requests.csv: people to remove everywhere on the next run."),
    ],
)
def crm_exports(context: dg.AssetExecutionContext, config: ReloadConfig, duckdb: DuckDBResource,
                settings: PipelineSettings):
    settings = settings.load()
    with duckdb.get_connection() as con:
        result = land_crm(con, settings.landing_dir / "crm", temp_dir=settings.temp_dir, force=config.force,
                          log=context.log.info)
        summary = {}
        if result is not None:
            summary = {"files": dg.MetadataValue.md(_files_table(result.files)) if result.files else "unchanged",
                       "rows_quarantined": result.rows_quarantined,
                       "identifiers_checked": result.identifiers_checked,
                       "identifiers_invalid": result.identifiers_invalid}
        for table in ("crm_records", "crm_identifier_checks", "crm_date_columns", "crm_erasure_requests"):
            meta = _table_metadata(con, table, "crm_records") if _exists(con, table) else {"dagster/row_count": 0}
            yield dg.MaterializeResult(asset_key=["raw", table], metadata={**meta, **summary})


def _exists(con, table: str) -> bool:
    return bool(con.execute("select count(*) from information_schema.tables where table_schema = 'raw' "
                            "and table_name = ?", [table]).fetchone()[0])


def _files_table(files: list[dict]) -> str:
    lines = ["| file | CRM | object | encoding | delimiter | rows | quarantined |", "|---|---|---|---|---|---|---|"]
    lines += [f"| {f['file']} | {f['crm']} | {f['object']} | {f['encoding']} | `{f['delimiter']}` | {f['rows']:,} "
              f"| {f['quarantined']} |" for f in files]
    return "\n".join(lines)


DESCRIPTIONS = {
    "web_events": "Page views and form actions (intent/web_events/*.jsonl[.gz], *.csv[.gz]), appended file by file.",
    "email_events": "SendGrid Event Webhook records (intent/email_events/), appended file by file.",
    "signals": "Business signals from any provider: funding, hiring, job changes, expansion, leadership changes.",
    "bodacc": "BODACC announcements (annonces commerciales): collective proceedings, deregistrations, capital "
              "increases, new establishments.",
}


def _feed_asset(name: str) -> dg.AssetsDefinition:
    @dg.asset(key=["raw", name], group_name="intent", kinds={"duckdb", "python"}, description=DESCRIPTIONS[name],
              metadata={"landing_folder": FEEDS[name].folder}, pool=WAREHOUSE_POOL)
    def _asset(context: dg.AssetExecutionContext, config: ReloadConfig, duckdb: DuckDBResource,
               settings: PipelineSettings):
        settings = settings.load()
        with duckdb.get_connection() as con:
            result = land_feed(con, settings.landing_dir, name, force=config.force, as_of=settings.as_of,
                               log=context.log.info)
            return dg.MaterializeResult(metadata={**_table_metadata(con, name), **result.as_metadata()})

    return _asset


intent_assets = [_feed_asset(name) for name in FEEDS]


FEED_QUARANTINE_THRESHOLD = 0.01


def _feed_quarantine_check(name: str) -> dg.AssetChecksDefinition:
    @dg.asset_check(pool=WAREHOUSE_POOL, asset=dg.AssetKey(["raw", name]), name="few_rows_quarantined",
                    description=f"Under {percent(FEED_QUARANTINE_THRESHOLD)} of the feed's rows were rejected into "
                                f"quarantine.{name}. A warning: the good rows are landed and scored.")
    def _check(duckdb: DuckDBResource) -> dg.AssetCheckResult:
        with duckdb.get_connection() as con:
            loaded = con.execute(f"select count(*) from raw.{name}").fetchone()[0]
            rejected = con.execute(f"select count(*) from quarantine.{name}").fetchone()[0]
            by_reason = con.execute(f"select reason, count(*) from quarantine.{name} group by 1 order by 2 desc "
                                    f"limit 5").fetchall()
            by_file = con.execute(f"select source_file, count(*) from quarantine.{name} group by 1 order by 2 desc "
                                  f"limit 5").fetchall()
        share = rejected / max(loaded + rejected, 1)
        return dg.AssetCheckResult(
            passed=share < FEED_QUARANTINE_THRESHOLD, severity=dg.AssetCheckSeverity.WARN,
            description=f"{rejected:,} rows quarantined ({percent(share)}, threshold {percent(FEED_QUARANTINE_THRESHOLD)})"
                        + (f", from {by_file[0][0]}" if by_file else ""),
            metadata={"rows_quarantined": rejected, "share_quarantined": percent(share),
                      "threshold": percent(FEED_QUARANTINE_THRESHOLD),
                      "files": "; ".join(f"{f} ({n})" for f, n in by_file) or "none",
                      "quarantine_table": f"quarantine.{name}",
                      "top_reasons": "; ".join(f"{r} ({n})" for r, n in by_reason) or "none",
                      "what_to_do": f"select * from quarantine.{name} shows each rejected line with its reason; fix "
                                    f"the file at its source and drop it in the landing zone again"},
        )

    return _check


def _feed_duplicate_ids_check(name: str) -> dg.AssetChecksDefinition:
    key = FEEDS[name].required[0]

    @dg.asset_check(pool=WAREHOUSE_POOL, asset=dg.AssetKey(["raw", name]), name="ids_repeated_with_other_content",
                    description=f"No {key} of the files landed last (within a day of the latest landing) is also "
                                f"in the feed with different content: staging keeps one row per id, so the other "
                                f"version is dropped; they are counted here, with examples.")
    def _check(duckdb: DuckDBResource) -> dg.AssetCheckResult:
        with duckdb.get_connection() as con:
            rows = ids_repeated_with_other_content(con, name)
        return dg.AssetCheckResult(
            passed=not rows, severity=dg.AssetCheckSeverity.WARN,
            metadata={"ids_with_other_content": len(rows),
                      "examples": "; ".join(f"{i} in {', '.join(files)}" for i, files in rows[:5]) or "none"})

    return _check


@dg.asset_check(pool=WAREHOUSE_POOL, asset=dg.AssetKey(["raw", "crm_records"]), name="few_rows_quarantined",
                description=f"Under {percent(FEED_QUARANTINE_THRESHOLD)} of CRM export lines were rejected into "
                            f"quarantine.crm_records.")
def crm_quarantine_check(duckdb: DuckDBResource) -> dg.AssetCheckResult:
    with duckdb.get_connection() as con:
        records = con.execute("select count(distinct (source_file, record_number)) from raw.crm_records").fetchone()[0]
        rejected = con.execute("select count(*) from quarantine.crm_records").fetchone()[0]
        by_file = con.execute("select source_file, count(*) from quarantine.crm_records group by 1 order by 2 desc "
                              "limit 5").fetchall()
    share = rejected / max(records + rejected, 1)
    return dg.AssetCheckResult(
        passed=share < FEED_QUARANTINE_THRESHOLD, severity=dg.AssetCheckSeverity.WARN,
        description=f"{rejected:,} lines quarantined ({percent(share)}, threshold {percent(FEED_QUARANTINE_THRESHOLD)})",
        metadata={"records": records, "rows_quarantined": rejected, "share_quarantined": percent(share),
                  "threshold": percent(FEED_QUARANTINE_THRESHOLD),
                  "files": "; ".join(f"{f} ({n})" for f, n in by_file) or "none",
                  "quarantine_table": "quarantine.crm_records"})


@dg.asset_check(asset=dg.AssetKey(["raw", "crm_date_columns"]), name="every_date_column_has_a_day_month_order",
                description="Every CRM column of dd/mm or mm/dd dates has a day/month order its values show (a part "
                            "above 12); the others land as unknown until the dbt var crm_ambiguous_date_order "
                            "decides them.", pool=WAREHOUSE_POOL)
def crm_date_order_check(duckdb: DuckDBResource) -> dg.AssetCheckResult:
    with duckdb.get_connection() as con:
        undecided = con.execute("""select source_file, header, example from raw.crm_date_columns
                                   where date_order is null order by 1, 2""").fetchall() \
            if _exists(con, "crm_date_columns") else []
    return dg.AssetCheckResult(
        passed=not undecided, severity=dg.AssetCheckSeverity.WARN,
        metadata={"undecided_columns": "; ".join(f"{f}: {h} (e.g. {e})" for f, h, e in undecided) or "none",
                  "what_to_do": "set crm_ambiguous_date_order: dmy (or mdy) in dbt_project/dbt_project.yml"})


intent_checks = [_feed_quarantine_check(name) for name in FEEDS] + [_feed_duplicate_ids_check(name) for name in FEEDS] \
    + [crm_quarantine_check, crm_date_order_check]
