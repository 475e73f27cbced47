"""Erasure requests (GDPR article 17): remove every trace of a person from the landed and quarantined tables.

The requests are `crm/erasure_requests.csv` (`email`, `requested_at`), kept cumulatively in `raw.crm_erasure_requests`
(a line removed from the file later does not bring anyone back). They are applied after every CRM and feed landing, so
a person erased once never returns with a re-exported file. dbt then rebuilds the models without them, the status
log forgets leads that are gone, and the next publication replaces the published files.
"""

from __future__ import annotations

import logging

import duckdb

from ingestion.warehouse import Log, table_exists

logger = logging.getLogger(__name__)

ERASED = "(select email from raw.crm_erasure_requests)"

# Landed tables holding people, and the rows of an erased person in each. A web visitor seen once with an erased
# address is erased whole: its anonymous visits are tied to the person by the visitor id.
RAW_TABLES = {
    "web_events": f"""lower(trim(email)) in {ERASED}
                      or visitor_id in (select visitor_id from raw.web_events
                                        where lower(trim(email)) in {ERASED} and visitor_id is not null)""",
    "email_events": f"lower(trim(email)) in {ERASED}",
    "signals": f"lower(trim(person_email)) in {ERASED}",
}
QUARANTINE_TABLES = ["crm_records", "web_events", "email_events", "signals"]


def erase_crm_records(con: duckdb.DuckDBPyConnection, table: str = "raw.crm_records",
                      requests: str = "raw.crm_erasure_requests") -> int:
    """Delete every record (all its fields) that carries an erased e-mail address in any field."""
    before = con.execute(f"select count(*) from {table}").fetchone()[0]
    con.execute(f"""
        delete from {table} as r
        using (select distinct crm_source, object_type, source_file, record_number
               from {table} where lower(trim(value)) in (select email from {requests})) as erased
        where r.crm_source = erased.crm_source and r.object_type = erased.object_type
          and r.source_file = erased.source_file and r.record_number = erased.record_number""")
    return before - con.execute(f"select count(*) from {table}").fetchone()[0]


def apply_erasure_requests(con: duckdb.DuckDBPyConnection, log: Log = logger.info) -> dict[str, int]:
    """Delete the erased people's rows from raw and quarantine tables; returns rows deleted per table."""
    if not table_exists(con, "raw", "crm_erasure_requests"):
        return {}
    requests = con.execute("select count(*) from raw.crm_erasure_requests").fetchone()[0]
    if not requests:
        return {}
    deleted: dict[str, int] = {}
    if table_exists(con, "raw", "crm_records"):
        deleted["raw.crm_records"] = erase_crm_records(con)
    for table, predicate in RAW_TABLES.items():
        if table_exists(con, "raw", table):
            deleted[f"raw.{table}"] = con.execute(f"delete from raw.{table} where {predicate}").fetchone()[0]
    for table in QUARANTINE_TABLES:
        if table_exists(con, "quarantine", table):
            deleted[f"quarantine.{table}"] = con.execute(f"""
                delete from quarantine.{table} as q
                where exists (select 1 from raw.crm_erasure_requests as e
                              where contains(lower(q.raw_line), e.email))""").fetchone()[0]
    erased = {table: n for table, n in deleted.items() if n}
    log(f"erasure requests ({requests}) applied: " + (", ".join(f"{n:,} rows from {t}" for t, n in erased.items())
                                                       if erased else "nothing left to erase"))
    return deleted
