"""Erasure requests (GDPR article 17): remove every trace of a person from the landed and quarantined tables, then
from the warehouse file's bytes.

The requests are `crm/erasure_requests.csv` (`email`, `requested_at`), kept cumulatively in `raw.crm_erasure_requests`
(a line removed from the file later does not bring anyone back) as the SHA-256 of each address, lower-cased and
trimmed: the warehouse recognises an erased person without keeping the address. They are applied after every CRM and
feed landing, so a person erased once never returns with a re-exported file. dbt then rebuilds the models without
them, the status log forgets leads that are gone, `rewrite_warehouse_file` copies the warehouse into a fresh file
(DuckDB leaves deleted rows in freed blocks until they are reused), and the next publication replaces the published
files.
"""

from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb

from ingestion.warehouse import Log, open_warehouse, table_exists

logger = logging.getLogger(__name__)

ERASED = "(select email_sha256 from raw.crm_erasure_requests)"


def email_sha256(expression: str) -> str:
    """SQL: the SHA-256 (hex) of an address as the requests store it, lower-cased and trimmed."""
    return f"sha256(lower(trim({expression})))"


def _erased(expression: str) -> str:
    return f"{email_sha256(expression)} in {ERASED}"


# Landed tables holding people, and the rows of an erased person in each among the rows `scope` (SQL) selects. A web
# visitor seen once with an erased address is erased whole: its anonymous visits are tied to the person by the
# visitor id.
def _erased_rows(table: str, scope: str = "true") -> str:
    if table == "web_events":
        return f"""(({scope}) and {_erased('email')})
                   or visitor_id in (select visitor_id from raw.web_events
                                     where ({scope}) and {_erased('email')} and visitor_id is not null)"""
    return f"({scope}) and {_erased('person_email' if table == 'signals' else 'email')}"


RAW_TABLES = ["web_events", "email_events", "signals"]
QUARANTINE_TABLES = ["crm_records", "web_events", "email_events", "signals"]
# What looks like an e-mail address in a quarantined line (JSON, CSV): each one found is compared by its hash.
ADDRESS_PATTERN = r"[a-z0-9._%+'-]+@[a-z0-9-]+(\.[a-z0-9-]+)+"


def create_erasure_requests_table(con: duckdb.DuckDBPyConnection) -> None:
    """raw.crm_erasure_requests, and the hashing of the addresses an older warehouse stored as they were."""
    con.execute("""create table if not exists raw.crm_erasure_requests (
        email_sha256 varchar, requested_at date, source_file varchar, erased_from_disk_at timestamp)""")
    columns = {c for (c,) in con.execute("""select column_name from information_schema.columns
                                           where table_schema = 'raw' and table_name = 'crm_erasure_requests'""").fetchall()}
    if "email" in columns:
        con.execute(f"""create or replace table raw.crm_erasure_requests as
            select {email_sha256('email')} as email_sha256, min(requested_at) as requested_at,
                   min(source_file) as source_file, null::timestamp as erased_from_disk_at
            from raw.crm_erasure_requests where nullif(trim(email), '') is not null group by all""")


def erase_crm_records(con: duckdb.DuckDBPyConnection, table: str = "raw.crm_records",
                      requests: str = "raw.crm_erasure_requests") -> int:
    """Delete every record (all its fields) that carries an erased e-mail address in any field."""
    before = con.execute(f"select count(*) from {table}").fetchone()[0]
    con.execute(f"""
        delete from {table} as r
        using (select distinct crm_source, object_type, source_file, record_number
               from {table}
               where contains(value, '@') and {email_sha256('value')} in (select email_sha256 from {requests})
              ) as erased
        where r.crm_source = erased.crm_source and r.object_type = erased.object_type
          and r.source_file = erased.source_file and r.record_number = erased.record_number""")
    return before - con.execute(f"select count(*) from {table}").fetchone()[0]


def apply_erasure_requests(con: duckdb.DuckDBPyConnection, log: Log = logger.info,
                           landed_files: tuple[str, list[str]] | None = None) -> dict[str, int]:
    """Delete the erased people's rows from raw and quarantine tables; returns rows deleted per table.

    landed_files (a feed's table and the names of the files just landed): only the rows those files brought are
    compared with the requests (and, for web events, every event of a visitor they show to be erased). A request
    reaches the feeds' older rows when the CRM export carrying it lands, so a feed's daily file does not hash the
    50 M stored events again."""
    if not table_exists(con, "raw", "crm_erasure_requests"):
        return {}
    requests = con.execute("select count(*) from raw.crm_erasure_requests").fetchone()[0]
    if not requests:
        return {}
    deleted: dict[str, int] = {}
    if landed_files is None:
        scopes = {table: "true" for table in RAW_TABLES}
        quarantine_scopes = {table: "true" for table in QUARANTINE_TABLES}
        if table_exists(con, "raw", "crm_records"):
            deleted["raw.crm_records"] = erase_crm_records(con)
    else:
        table, names = landed_files
        files = ", ".join("'" + name.replace("'", "''") + "'" for name in names) or "null"
        # (a feed without people, BODACC, has nothing to erase)
        scopes = {table: f"_source_file in ({files})"} if table in RAW_TABLES else {}
        quarantine_scopes = {table: f"source_file in ({files})"} if table in QUARANTINE_TABLES else {}
    for table, scope in scopes.items():
        if table_exists(con, "raw", table):
            deleted[f"raw.{table}"] = con.execute(
                f"delete from raw.{table} where {_erased_rows(table, scope)}").fetchone()[0]
    for table, scope in quarantine_scopes.items():
        if table_exists(con, "quarantine", table):
            deleted[f"quarantine.{table}"] = con.execute(f"""
                delete from quarantine.{table} as q
                where ({scope}) and contains(q.raw_line, '@')
                  and list_has_any([sha256(address) for address in regexp_extract_all(lower(q.raw_line), ?)],
                                   (select list(email_sha256) from raw.crm_erasure_requests))""",
                [ADDRESS_PATTERN]).fetchone()[0]
    erased = {table: n for table, n in deleted.items() if n}
    log(f"erasure requests ({requests}) applied: " + (", ".join(f"{n:,} rows from {t}" for t, n in erased.items())
                                                       if erased else "nothing left to erase"))
    return deleted


@dataclass
class WarehouseRewrite:
    requests: int
    bytes_before: int
    bytes_after: int
    duration_s: float


# The event logs (dbt) delete the rows of pending requests only; once the file is rewritten the requests are no
# longer pending, so they must hold none of them by then.
EVENT_LOGS = ["int_intent__web_event_log", "int_intent__email_event_log"]


def _refuse_while_event_logs_hold_pending_people(con: duckdb.DuckDBPyConnection) -> None:
    for name in EVENT_LOGS:
        table = f"intermediate.{name}"
        if not table_exists(con, "intermediate", name):
            continue
        left = con.execute(f"""select count(*) from (select distinct email from {table}) as stored
                              where {email_sha256('email')} in (select email_sha256 from raw.crm_erasure_requests
                                                                where erased_from_disk_at is null)""").fetchone()[0]
        if left:
            raise RuntimeError(
                f"{table} still holds events of {left} address(es) whose erasure is pending: rewriting the warehouse "
                f"file now would leave them on disk and mark the requests done. Run the dbt models first "
                f"(`dbt build --select {name}+`, or the daily_refresh job), then the rewrite.")


def rewrite_warehouse_file(path: Path, config: dict, log: Log = logger.info) -> WarehouseRewrite | None:
    """After the rows of newly erased people were deleted (landing) and the models rebuilt without them (dbt): copy
    the warehouse into a fresh file and rename it over the old one, so that the freed blocks that still hold their
    bytes are gone from disk. None when no request arrived since the last rewrite.

    The old file stays open (and locked) until the new one has replaced it: no other writer can come in between, and
    a failure before the rename leaves the old file as it was (the requests stay pending and the next run retries)."""
    started = time.monotonic()
    con = open_warehouse(str(path), config, log=log)
    rewritten = path.with_name(path.name + ".rewrite")
    try:
        if not table_exists(con, "raw", "crm_erasure_requests"):
            return None
        pending = con.execute("select count(*) from raw.crm_erasure_requests "
                              "where erased_from_disk_at is null").fetchone()[0]
        if not pending:
            return None
        _refuse_while_event_logs_hold_pending_people(con)
        log(f"{pending} new erasure request(s): rewriting {path} into a fresh file, so that the deleted rows leave "
            f"the disk too")
        con.execute("checkpoint")
        before = path.stat().st_size
        rewritten.unlink(missing_ok=True)
        catalog = con.execute("select current_database()").fetchone()[0]
        con.execute(f"attach '{rewritten}' as rewritten")
        try:
            con.execute(f'copy from database "{catalog}" to rewritten')
            con.execute("update rewritten.raw.crm_erasure_requests set erased_from_disk_at = now()::timestamp "
                        "where erased_from_disk_at is null")
        finally:
            con.execute("detach rewritten")
        os.replace(rewritten, path)
        result = WarehouseRewrite(requests=pending, bytes_before=before, bytes_after=path.stat().st_size,
                                  duration_s=time.monotonic() - started)
        log(f"warehouse rewritten in {result.duration_s:.1f} s: {before / 1e6:,.0f} MB -> "
            f"{result.bytes_after / 1e6:,.0f} MB")
        return result
    finally:
        con.close()
        rewritten.unlink(missing_ok=True)
