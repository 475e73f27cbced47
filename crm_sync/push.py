"""Write the scores of `marts.qualified_leads` back onto the CRM records they came from: only the records whose values
changed since the last confirmed push, as `crm_sync.pushed_scores` in the warehouse remembers them.

A record counts as pushed only once the CRM confirmed it: a failed call or a record refused in a partial success
(HubSpot 207, a Salesforce record error) stays unpushed, is retried within the run, then reported, and is sent again
on the next run. An erased person is never sent, and the state forgets the records no longer scored. The values
sent carry no date, so an unchanged score is not sent again every day.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import json
import logging
import time
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pyarrow as pa

from crm_sync import hubspot, salesforce
from crm_sync.common import CrmApiError, api_text
from ingestion.warehouse import Log, table_exists
from privacy.erasure import email_sha256

logger = logging.getLogger(__name__)

# What the push sends, read from marts.qualified_leads: scores as whole numbers (as the CRM shows them; a decimal
# that moves every day with the decay would send every record every day), the reason cut to 255 characters (the
# length of a Salesforce text field).
PUSHED_COLUMNS = ["lead_score", "fit_score", "engagement_score", "intent_score", "status", "sql_source",
                  "bant_budget", "bant_authority", "bant_need", "bant_timing", "siren", "status_reason"]
REASON_LENGTH = 255
RETRIES = 2  # records refused in a partial success are sent again this many times, after 2 s, then 4 s
STATE_DDL = """create table if not exists crm_sync.pushed_scores (
    crm_source varchar, object_type varchar, record_id varchar, lead_id varchar, pushed_values json,
    values_sha256 varchar, pushed_at timestamp, primary key (crm_source, object_type, record_id))"""
MODES = ("off", "dry_run", "on")


@dataclass
class PushResult:
    mode: str
    scored: int = 0
    changed: int = 0
    pushed: dict[str, int] = field(default_factory=dict)   # crm_source -> records confirmed
    failed: dict[str, str] = field(default_factory=dict)   # lead_id -> the CRM's error
    skipped: dict[str, str] = field(default_factory=dict)  # crm_source -> why not pushed
    calls: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    forgotten: int = 0
    dry_run_file: Path | None = None


def _values(row: dict) -> dict:
    values = {c: row[c] for c in PUSHED_COLUMNS}
    reason = values["status_reason"] or ""
    values["status_reason"] = reason if len(reason) <= REASON_LENGTH else reason[:REASON_LENGTH - 1] + "…"
    return values


def _sha256(values: dict) -> str:
    return hashlib.sha256(json.dumps(values, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def changed_scores(con: duckdb.DuckDBPyConnection) -> tuple[int, list[dict]]:
    """(leads scored, the rows to push): every scored person whose values differ from the last confirmed push,
    erased people left out."""
    con.execute("create schema if not exists crm_sync")
    con.execute(STATE_DDL)
    erased = (f"and {email_sha256('q.email')} not in (select email_sha256 from raw.crm_erasure_requests)"
              if table_exists(con, "raw", "crm_erasure_requests") else "")
    rows = con.execute(f"""
        select q.lead_id, q.crm_source, q.person_type,
               substr(q.lead_id, length(q.crm_source) + 2) as record_id,
               round(q.lead_score)::integer as lead_score, round(q.fit_score)::integer as fit_score,
               round(q.engagement_score)::integer as engagement_score,
               round(q.intent_score)::integer as intent_score,
               q.status, q.sql_source, q.bant_budget, q.bant_authority, q.bant_need, q.bant_timing, q.siren,
               q.status_reason
        from marts.qualified_leads as q
        where true {erased}
        order by q.lead_id""").fetchall()
    names = [d[0] for d in con.description]
    pushed = dict(((s, o, r), h) for s, o, r, h in con.execute(
        "select crm_source, object_type, record_id, values_sha256 from crm_sync.pushed_scores").fetchall())
    changed = []
    for values in (dict(zip(names, row)) for row in rows):
        values["object_type"] = "leads" if values["person_type"] == "lead" else "contacts"
        values["values"] = _values(values)
        values["sha256"] = _sha256(values["values"])
        if pushed.get((values["crm_source"], values["object_type"], values["record_id"])) != values["sha256"]:
            changed.append(values)
    return len(rows), changed


def _record_pushed(con: duckdb.DuckDBPyConnection, rows: list[dict]) -> None:
    """The confirmed rows, in one transaction: the state never holds half a batch."""
    if not rows:
        return
    now = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
    confirmed = pa.table({
        "crm_source": [r["crm_source"] for r in rows], "object_type": [r["object_type"] for r in rows],
        "record_id": [r["record_id"] for r in rows], "lead_id": [r["lead_id"] for r in rows],
        "pushed_values": [json.dumps(r["values"], ensure_ascii=False) for r in rows],
        "values_sha256": [r["sha256"] for r in rows]})
    con.execute("begin")
    try:
        con.register("confirmed_push", confirmed)
        con.execute("""insert or replace into crm_sync.pushed_scores
                       select crm_source, object_type, record_id, lead_id, pushed_values::json, values_sha256, ?
                       from confirmed_push""", [now])
        con.unregister("confirmed_push")
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise


def forget_unscored(con: duckdb.DuckDBPyConnection) -> int:
    """Drop the state of records no longer in qualified_leads (deleted in the CRM, erased): nothing of a person
    outlives their scores."""
    return con.execute("""delete from crm_sync.pushed_scores
                          where lead_id not in (select lead_id from marts.qualified_leads)""").fetchone()[0]


def _hubspot_properties(values: dict) -> dict[str, str]:
    return {f"lq_{c}": api_text(v) for c, v in values.items()}


def _salesforce_fields(values: dict) -> dict:
    return {salesforce.PUSHED_FIELDS[c][0]: v for c, v in values.items()}


def _with_retries(send, changes: dict, log: Log, crm: str) -> tuple[list, dict]:
    confirmed, failed = send(changes)
    for attempt in range(1, RETRIES + 1):
        if not failed:
            break
        log(f"{crm}: {len(failed)} record(s) refused, sent again in {2 ** attempt} s (attempt {attempt + 1})")
        time.sleep(2 ** attempt)
        again, failed = send({key: changes[key] for key in failed})
        confirmed += again
    return confirmed, failed


def write_dry_run(rows: list[dict], path: Path) -> Path:
    """The would-be changes, one line per record, written aside then renamed into place."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    with partial.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["lead_id", "crm_source", "object_type", "record_id", *PUSHED_COLUMNS])
        for r in rows:
            writer.writerow([r["lead_id"], r["crm_source"], r["object_type"], r["record_id"],
                             *(r["values"][c] for c in PUSHED_COLUMNS)])
    partial.replace(path)
    return path


def push_scores(con: duckdb.DuckDBPyConnection, mode: str, *, hubspot_api: hubspot.HubSpotApi | None,
                salesforce_api_factory, dry_run_file: Path, log: Log = logger.info) -> PushResult:
    """Push the changed scores (mode on), or write them to dry_run_file (dry_run). `salesforce_api_factory` makes
    the Salesforce client when there are Salesforce rows to push (None: no Salesforce credentials)."""
    if mode not in MODES:
        raise ValueError(f"LEADS_CRM_PUSH must be one of {', '.join(MODES)}, got {mode!r}")
    started = time.monotonic()
    result = PushResult(mode=mode)
    if mode == "off":
        return result
    result.scored, changed = changed_scores(con)
    result.changed = len(changed)
    by_crm = {crm: [r for r in changed if r["crm_source"] == crm] for crm in ("hubspot", "salesforce")}
    if mode == "dry_run":
        result.dry_run_file = write_dry_run(changed, dry_run_file)
        log(f"CRM push (dry run): {len(changed):,} of {result.scored:,} leads changed since the last push "
            f"(HubSpot {len(by_crm['hubspot']):,}, Salesforce {len(by_crm['salesforce']):,}), written to "
            f"{dry_run_file}; nothing sent. Set LEADS_CRM_PUSH=on to send them.")
        result.seconds = time.monotonic() - started
        return result

    rows = by_crm["hubspot"]
    if rows and hubspot_api is None:
        result.skipped["hubspot"] = "no HUBSPOT_ACCESS_TOKEN"
    elif rows:
        calls_before = hubspot_api.calls
        hubspot.ensure_properties(hubspot_api, log)
        by_id = {r["record_id"]: r for r in rows}
        confirmed, failed = _with_retries(
            lambda changes: hubspot.update_contacts(hubspot_api, changes),
            {r["record_id"]: _hubspot_properties(r["values"]) for r in rows}, log, "HubSpot")
        _record_pushed(con, [by_id[i] for i in confirmed])
        result.pushed["hubspot"] = len(confirmed)
        result.failed.update({by_id[i]["lead_id"]: message for i, message in failed.items()})
        result.calls["hubspot"] = hubspot_api.calls - calls_before

    rows = by_crm["salesforce"]
    sf_api = salesforce_api_factory() if rows and salesforce_api_factory else None
    if rows and sf_api is None:
        result.skipped["salesforce"] = "no Salesforce credentials"
    elif rows:
        calls_before = sf_api.calls
        salesforce.check_fields(sf_api)
        by_key = {("Lead" if r["object_type"] == "leads" else "Contact", r["record_id"]): r for r in rows}
        confirmed, failed = _with_retries(
            lambda changes: salesforce.update_records(sf_api, changes),
            {key: _salesforce_fields(r["values"]) for key, r in by_key.items()}, log, "Salesforce")
        _record_pushed(con, [by_key[k] for k in confirmed])
        result.pushed["salesforce"] = len(confirmed)
        result.failed.update({by_key[k]["lead_id"]: message for k, message in failed.items()})
        result.calls["salesforce"] = sf_api.calls - calls_before

    result.forgotten = forget_unscored(con)
    result.seconds = time.monotonic() - started
    for crm, why in result.skipped.items():
        log(f"CRM push to {crm} skipped: {why} ({len(by_crm[crm]):,} changed leads wait for it)")
    log(f"CRM push: {sum(result.pushed.values()):,} of {result.changed:,} changed leads pushed "
        f"({', '.join(f'{k} {v:,} in {result.calls.get(k, 0)} calls' for k, v in result.pushed.items()) or 'none'}), "
        f"{len(result.failed):,} refused, {result.seconds:.1f} s")
    for lead_id, message in list(result.failed.items())[:20]:
        log(f"  not pushed: {lead_id}: {message}")
    return result


__all__ = ["CrmApiError", "PushResult", "push_scores", "changed_scores", "MODES"]
