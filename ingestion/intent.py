"""Land the intent feeds: web events, SendGrid email events, business signals and BODACC announcements.

Files accumulate (one per day or month), so each feed's raw table is appended file by file, idempotent by content:
a file already landed (same SHA-256, whatever its name) is skipped; a file whose content changed under the same name
replaces its earlier rows. JSON lines (`.jsonl`, `.jsonl.gz`), JSON arrays (`.json`) and CSV (`.csv`, `.csv.gz`) are
read; a line that is not valid JSON, or lacks its id or date, goes to `quarantine.<feed>` with file, line and reason.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import time
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from privacy.erasure import apply_erasure_requests
from ingestion.landing import LOAD_LOG_DDL, LandingError
from ingestion.warehouse import Log, logger, progress, table_exists

# An event dated after the end of the as-of day by more than this (clocks differ, a feed runs ahead of the time zone)
# goes to quarantine: kept out of the scores, and counted.
FUTURE_TOLERANCE = dt.timedelta(days=1)
PATTERNS = ("*.jsonl", "*.jsonl.gz", "*.json", "*.json.gz", "*.csv", "*.csv.gz", "*.ndjson", "*.ndjson.gz")


@dataclass(frozen=True)
class Feed:
    """A feed: its folder, raw table, typed columns (name -> SQL over the record's text value `v`), and the checks
    that send a record to quarantine."""

    name: str
    folder: str
    columns: dict[str, str]  # column -> DuckDB type
    required: tuple[str, ...]
    casts: dict[str, str] = field(default_factory=dict)  # column -> SQL expression over `v` (its text), if special
    json_text_fields: tuple[str, ...] = ()  # text columns that must hold valid JSON when present


def _ts(v: str) -> str:
    """ISO 8601 with an offset (or Z) is converted to UTC; a date-time without an offset, or a plain date, is taken
    as UTC already. Stored as UTC either way, whatever the host's time zone."""
    return (f"case when regexp_matches(trim({v}), ':[0-9]{{2}}(:[0-9]{{2}}([.,][0-9]+)?)? ?(Z|[+-][0-9]{{2}}(:?[0-9]{{2}})?)$') "
            f"then try_cast(trim({v}) as timestamptz) at time zone 'UTC' "
            f"else coalesce(try_cast(trim({v}) as timestamp), try_cast(trim({v}) as date)::timestamp) end")


FEEDS = {
    "web_events": Feed(
        "web_events", "intent/web_events",
        {"event_id": "VARCHAR", "occurred_at": "TIMESTAMP", "visitor_id": "VARCHAR", "email": "VARCHAR",
         "company_domain": "VARCHAR", "event_type": "VARCHAR", "page_url": "VARCHAR", "page_title": "VARCHAR",
         "content_id": "VARCHAR", "utm_source": "VARCHAR", "utm_campaign": "VARCHAR"},
        required=("event_id", "occurred_at", "event_type"),
        casts={"occurred_at": _ts("{v}"), "email": "lower(trim({v}))", "company_domain": "lower(trim({v}))"},
    ),
    "email_events": Feed(
        "email_events", "intent/email_events",
        {"sg_event_id": "VARCHAR", "email": "VARCHAR", "occurred_at": "TIMESTAMP", "event": "VARCHAR",
         "sg_machine_open": "BOOLEAN", "url": "VARCHAR", "category": "VARCHAR", "bounce_type": "VARCHAR",
         "bounce_classification": "VARCHAR", "asm_group_id": "VARCHAR", "reason": "VARCHAR"},
        required=("sg_event_id", "email", "occurred_at", "event"),
        # SendGrid sends Unix seconds; some exports carry milliseconds (a value past 10^11 is after year 5138 in
        # seconds, so it can only be milliseconds)
        casts={"occurred_at": "to_timestamp(case when abs(try_cast({src:timestamp} as double)) >= 1e11 "
                              "then try_cast({src:timestamp} as double) / 1000 "
                              "else try_cast({src:timestamp} as double) end) at time zone 'UTC'",
               "email": "lower(trim({v}))",
               # a bounce's `type` says hard (bounce) or soft (blocked); the column is named for what it holds
               "bounce_type": "lower(nullif({src:type}, ''))",
               # one category or a list of them: a list is kept as its elements joined by ', '
               "category": "case when json_valid({v}) and json_type({v}::json) = 'ARRAY' "
                           "then array_to_string(from_json({v}::json, '[\"varchar\"]'), ', ') "
                           "else nullif(regexp_replace(trim({v}), '\\s*,\\s*', ', ', 'g'), '') end"},
    ),
    "signals": Feed(
        "signals", "intent/signals",
        {"signal_id": "VARCHAR", "signal_type": "VARCHAR", "occurred_at": "TIMESTAMP", "siren": "VARCHAR",
         "company_name": "VARCHAR", "company_domain": "VARCHAR", "person_email": "VARCHAR",
         "new_job_title": "VARCHAR", "amount_eur": "DOUBLE", "headcount_open_roles": "INTEGER", "source": "VARCHAR",
         "source_url": "VARCHAR"},
        required=("signal_id", "signal_type", "occurred_at"),
        casts={"occurred_at": _ts("{v}"), "company_domain": "lower(trim({v}))", "person_email": "lower(trim({v}))",
               "siren": "nullif(regexp_replace({v}, '[^0-9]', '', 'g'), '')"},
    ),
    "bodacc": Feed(
        "bodacc", "intent/bodacc",
        {"id": "VARCHAR", "dateparution": "DATE", "familleavis": "VARCHAR", "familleavis_lib": "VARCHAR",
         "typeavis": "VARCHAR", "registre": "VARCHAR", "commercant": "VARCHAR", "cp": "VARCHAR", "ville": "VARCHAR",
         "jugement": "VARCHAR", "acte": "VARCHAR", "modificationsgenerales": "VARCHAR", "radiationaurcs": "VARCHAR",
         "depot": "VARCHAR", "listepersonnes": "VARCHAR"},
        required=("id", "dateparution"),
        # the API returns these as JSON held in strings: a value that does not parse sends its record to quarantine
        json_text_fields=("jugement", "acte", "modificationsgenerales", "radiationaurcs", "depot",
                          "listepersonnes"),
        # `registre` comes as a JSON list or, in the CSV export, as one comma-separated string: kept as a JSON list
        casts={"registre": "case when json_valid({v}) and json_type({v}::json) = 'ARRAY' then {v} "
                           "when nullif(trim({v}), '') is not null "
                           "then to_json(list_transform(string_split({v}, ','), x -> trim(x)))::varchar end"},
    ),
}


@dataclass
class FeedLandingResult:
    feed: str
    files_landed: list[str] = field(default_factory=list)
    files_unchanged: list[str] = field(default_factory=list)
    rows_loaded: int = 0
    rows_quarantined: int = 0
    total_rows: int = 0
    duration_s: float = 0.0

    def as_metadata(self) -> dict:
        return {"files_landed": ", ".join(self.files_landed) or "none",
                "files_unchanged": len(self.files_unchanged), "rows_loaded": self.rows_loaded,
                "rows_quarantined": self.rows_quarantined, "duration_s": round(self.duration_s, 1)}


def _sha256(path: Path) -> str:
    """SHA-256 of the file; a `.gz` is decompressed in the same pass to prove it is whole (DuckDB would read a cut
    gzip up to the cut without complaint)."""
    digest = hashlib.sha256()
    inflater = zlib.decompressobj(wbits=47) if path.name.endswith(".gz") else None
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
            while inflater is not None and chunk:
                if inflater.eof:  # a gzip file may hold several members
                    inflater = zlib.decompressobj(wbits=47)
                try:
                    inflater.decompress(chunk)  # the output is not kept
                except zlib.error as exc:
                    raise duckdb.IOException(f"corrupt gzip data ({exc})") from exc
                chunk = inflater.unused_data if inflater.eof else b""
    if inflater is not None and not inflater.eof:
        raise duckdb.IOException("the gzip stream is cut short (truncated file)")
    return digest.hexdigest()


def _q(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def ensure_feed_tables(con: duckdb.DuckDBPyConnection, feed: Feed) -> None:
    con.execute("create schema if not exists raw")
    con.execute("create schema if not exists quarantine")
    con.execute(LOAD_LOG_DDL)
    cols = ", ".join(f'"{c}" {t}' for c, t in feed.columns.items())
    con.execute(f"create table if not exists raw.{feed.name} ({cols}, _source_file varchar, _file_sha256 varchar, "
                f"_source_line bigint)")
    for column, dtype in feed.columns.items():  # a column added since the table was created
        con.execute(f'alter table raw.{feed.name} add column if not exists "{column}" {dtype}')
    con.execute(f"create table if not exists quarantine.{feed.name} (source_file varchar, source_line bigint, "
                f"reason varchar, raw_line varchar, quarantined_at timestamp)")


def _records_sql(path: Path) -> tuple[str, str]:
    """(SQL yielding `line_no`, `rec` (the record as JSON), `raw_line`; how the file is read)."""
    name = path.name.lower()
    p = _q(str(path))
    if ".csv" in name:
        return (f"""select row_number() over () + 1 as line_no, to_json(t) as rec, null::varchar as raw_line
                    from read_csv({p}, header = true, all_varchar = true, store_rejects = true,
                                  rejects_table = 'feed_rejects', rejects_scan = 'feed_rejects_scan',
                                  rejects_limit = 0) t""", "csv")
    if name.endswith((".json", ".json.gz")):
        # a JSON array of records (SendGrid's POST body, BODACC's exports/json), or one API response holding them:
        # BODACC's v2.1 `records` ({"total_count", "results": [...]}) or v1 search ({"nhits", "records":
        # [{"fields": {...}}]}); any other object is one record
        return (f"""select row_number() over () as line_no, rec, null::varchar as raw_line
                    from (select unnest(case when json_type(json) = 'ARRAY' then json_extract(json, '$[*]')
                                             when json_type(json->'$.results') = 'ARRAY'
                                                 then json_extract(json, '$.results[*]')
                                             when json_type(json->'$.records') = 'ARRAY'
                                                 then json_extract(json, '$.records[*].fields')
                                             else [json] end) as rec
                          from read_json_objects({p}, format = 'auto', maximum_object_size = 1073741824))""",
                "json document")
    return (f"""select line_no, case when json_valid(line) then line::json end as rec, line as raw_line
                from (select row_number() over () as line_no, line
                      from read_csv({p}, columns = {{'line': 'VARCHAR'}}, header = false, delim = chr(1), quote = '',
                                    escape = '', auto_detect = false, store_rejects = true,
                                    rejects_table = 'feed_rejects', rejects_scan = 'feed_rejects_scan',
                                    rejects_limit = 0))""", "json lines")


SOURCE_FIELD = re.compile(r"\{src:(\w+)\}")


def _source_fields(feed: Feed) -> list[str]:
    """Fields read from each record: the feed's columns, except those computed from other fields (`{src:field}` in
    their cast, such as SendGrid's `timestamp` behind `occurred_at`), and those other fields."""
    computed = {c for c, cast in feed.casts.items() if SOURCE_FIELD.search(cast)}
    extra = [f for cast in feed.casts.values() for f in SOURCE_FIELD.findall(cast)]
    return [c for c in feed.columns if c not in computed] + sorted(set(extra) - set(feed.columns))


def _typed_select(feed: Feed, from_json: bool) -> str:
    """Typed columns from each record's text values: `rec->>'$.field'` for a JSON record, the column itself when
    DuckDB's JSON reader already split the record into text columns."""
    def text(field: str) -> str:
        return f"(rec->>'$.{field}')" if from_json else f'"{field}"'

    exprs = []
    for column, dtype in feed.columns.items():
        v = text(column)
        if column in feed.casts:
            expr = SOURCE_FIELD.sub(lambda m: text(m.group(1)), feed.casts[column]).replace("{v}", v)
        elif dtype == "VARCHAR" and from_json:
            # nested values (lists, objects) keep their JSON text
            expr = f"case when json_type(rec->'$.{column}') in ('ARRAY', 'OBJECT') " \
                   f"then (rec->'$.{column}')::varchar else nullif({v}, '') end"
        elif dtype == "VARCHAR":
            expr = f"nullif({v}, '')"
        elif dtype == "BOOLEAN":
            expr = f"case lower({v}) when 'true' then true when '1' then true when 'false' then false " \
                   f"when '0' then false end"
        else:
            expr = f"try_cast(nullif({v}, '') as {dtype})"
        exprs.append(f"{expr} as \"{column}\"")
    return ", ".join(exprs)


def retention_settings() -> tuple[int, list[str]]:
    """The behaviour retention (months) and the consent events that outlive it, from the dbt project's vars: one
    place for analysts and for ingestion."""
    from ingestion.settings import dbt_vars

    settings = dbt_vars()
    return int(settings["behaviour_retention_months"]), list(settings["email_suppression_events"])


def drop_expired_behaviour(con: duckdb.DuckDBPyConnection, as_of: dt.date, log: Log = logger.info) -> dict[str, int]:
    """Delete web and e-mail events older than the retention window before `as_of` (data contract, Privacy). Bounces,
    unsubscribes and spam reports are consent, not behaviour: they are kept, so nobody becomes e-mailable again."""
    months, consent_events = retention_settings()
    cutoff = f"date '{as_of.isoformat()}' - interval {months} month"
    consent = ", ".join(f"'{event}'" for event in consent_events)
    deleted = {}
    for table, keep in (("web_events", ""), ("email_events", f" and event not in ({consent})")):
        if table_exists(con, "raw", table):
            deleted[table] = con.execute(
                f"delete from raw.{table} where occurred_at < {cutoff}{keep}").fetchone()[0]
    if any(deleted.values()):
        log(f"retention ({months} months before {as_of}): "
            + ", ".join(f"{n:,} rows dropped from raw.{t}" for t, n in deleted.items()))
    return deleted


def land_feed(con: duckdb.DuckDBPyConnection, landing_dir: Path, feed_name: str, *, force: bool = False,
              as_of: dt.date | None = None, log: Log = logger.info) -> FeedLandingResult:
    """Append every new or changed file of the feed; raise LandingError naming each unreadable file (after the
    readable ones are in)."""
    feed = FEEDS[feed_name]
    started = time.monotonic()
    ensure_feed_tables(con, feed)
    folder = landing_dir / feed.folder
    files = sorted({p for pattern in PATTERNS for p in folder.glob(pattern) if p.is_file()}) if folder.is_dir() else []
    landed = {row[0]: row[1] for row in con.execute(
        "select file_sha256, file_name from raw._load_log where table_name = ?", [feed.name]).fetchall()}
    result = FeedLandingResult(feed.name)
    errors = []
    for path in files:
        try:
            sha = _sha256(path)
            if sha in landed and not force:
                result.files_unchanged.append(path.name)
                continue
            loaded, quarantined = _land_feed_file(con, feed, path, sha, as_of, log)
        except duckdb.Error as exc:
            errors.append(f"{path}: cannot be read ({str(exc).splitlines()[0]})")
            continue
        result.files_landed.append(path.name)
        result.rows_loaded += loaded
        result.rows_quarantined += quarantined
    if result.files_landed:  # a re-sent file must not bring an erased person back
        apply_erasure_requests(con, log, landed_files=(feed.name, result.files_landed))
    if as_of is not None and feed.name in ("web_events", "email_events"):
        drop_expired_behaviour(con, as_of, log)
    result.total_rows = con.execute(f"select count(*) from raw.{feed.name}").fetchone()[0]
    result.duration_s = time.monotonic() - started
    log(f"{feed.name}: {len(result.files_landed)} file(s) landed ({result.rows_loaded:,} rows, "
        f"{result.rows_quarantined:,} quarantined), {len(result.files_unchanged)} unchanged; "
        f"raw.{feed.name} holds {result.total_rows:,} rows")
    if errors:
        raise LandingError("; ".join(errors) + ". The files landed before stay in place; fix or remove these "
                                                "files (a corrupt .gz must be fetched again).")
    return result


def _read_json_lines_fast(con: duckdb.DuckDBPyConnection, feed: Feed, path: Path) -> bool:
    """DuckDB's JSON reader splits each line into text columns, parsing it once; it refuses a file with a malformed
    line, which then takes the line-by-line path that quarantines it. Returns whether the fast path worked."""
    fields = "{" + ", ".join(f"{_q(f)}: 'VARCHAR'" for f in _source_fields(feed)) + "}"
    try:
        con.execute(f"""create or replace temp table feed_file as
            select row_number() over () as line_no, true as is_json, null::varchar as raw_line,
                   {_typed_select(feed, from_json=False)}
            from read_json({_q(str(path))}, format = 'newline_delimited', columns = {fields},
                           maximum_object_size = 16777216)""")
        return True
    except duckdb.Error:
        return False


def _land_feed_file(con: duckdb.DuckDBPyConnection, feed: Feed, path: Path, sha: str, as_of: dt.date | None,
                    log: Log) -> tuple[int, int]:
    records, how = _records_sql(path)
    con.execute("drop table if exists feed_rejects")
    con.execute("drop table if exists feed_rejects_scan")
    con.execute("set preserve_insertion_order = true")  # line numbers follow the file
    try:
        with progress(con, f"landing {path.name}", log):
            if how == "json lines" and _read_json_lines_fast(con, feed, path):
                how = "json lines (fast path)"
            else:
                con.execute(f"""create or replace temp table feed_file as
                    select line_no, rec is not null as is_json, raw_line, {_typed_select(feed, from_json=True)}
                    from ({records})""")
    finally:
        con.execute("reset preserve_insertion_order")
    checks = [f"when not is_json then 'not valid JSON'"] + [
        f"when \"{c}\" is null then 'missing or unreadable {c}'" for c in feed.required] + [
        f"when \"{c}\" is not null and not json_valid(\"{c}\") then '{c} is not valid JSON: {c} holds JSON text in "
        f"this source; fix the line or fetch the record again'" for c in feed.json_text_fields]
    if as_of is not None and "occurred_at" in feed.columns:
        # a clock set wrong at the source, or a date typed by hand: kept out of the scores, counted in quarantine
        horizon = dt.datetime.combine(as_of + dt.timedelta(days=1), dt.time()) + FUTURE_TOLERANCE
        checks.append(f"when occurred_at >= timestamp '{horizon}' then 'dated in the future: after {horizon} UTC "
                      f"(the as-of date {as_of} plus {FUTURE_TOLERANCE.days} day of tolerance)'")
    reason = f"case {' '.join(checks)} end"
    cols = ", ".join(f'"{c}"' for c in feed.columns)
    con.execute("begin transaction")
    try:
        # same name, new content: the new file replaces what the old one brought
        con.execute(f"delete from raw.{feed.name} where _source_file = ?", [path.name])
        con.execute(f"delete from quarantine.{feed.name} where source_file = ?", [path.name])
        con.execute(f"""insert into raw.{feed.name} ({cols}, _source_file, _file_sha256, _source_line)
            select {cols}, {_q(path.name)}, {_q(sha)}, line_no from feed_file where {reason} is null""")
        con.execute(f"""insert into quarantine.{feed.name}
            select {_q(path.name)}, line_no, {reason}, raw_line, now()::timestamp
            from feed_file where {reason} is not null""")
        if con.execute("select count(*) from information_schema.tables where table_name = 'feed_rejects'"
                       ).fetchone()[0]:
            con.execute(f"""insert into quarantine.{feed.name}
                select {_q(path.name)}, line, lower(replace(error_type::varchar, '_', ' ')) || ': ' || error_message,
                       csv_line, now()::timestamp from feed_rejects""")
        loaded = con.execute(f"select count(*) from raw.{feed.name} where _source_file = ?", [path.name]).fetchone()[0]
        quarantined = con.execute(f"select count(*) from quarantine.{feed.name} where source_file = ?",
                                  [path.name]).fetchone()[0]
        con.execute(
            "insert into raw._load_log values (?, ?, ?, ?, ?, ?, ?, ?, null, [], [], ?, now()::timestamp)",
            [feed.name, path.name, str(path), how, path.stat().st_size, sha, loaded, quarantined, dt.datetime.now()],
        )
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
    log(f"{path.name}: {loaded:,} {feed.name} rows ({how})" + (f", {quarantined} quarantined" if quarantined else ""))
    return loaded, quarantined


def ids_repeated_with_other_content(con: duckdb.DuckDBPyConnection, feed_name: str) -> list[tuple[str, list[str]]]:
    """The ids of the files landed last (within a day of the feed's latest landing) that the feed also holds with
    other content, with the files holding them: staging keeps one row per id, so the other version is dropped. Only
    the day's ids are looked up, not a group-by of the whole feed (50 M web events)."""
    feed = FEEDS[feed_name]
    key = feed.required[0]
    fingerprint = "hash(" + ", ".join(f'"{c}"' for c in feed.columns if c != key) + ")"
    return con.execute(f"""
        with latest as (
            select file_sha256 from raw._load_log
            where table_name = '{feed.name}'
              and finished_at >= (select max(finished_at) from raw._load_log
                                  where table_name = '{feed.name}') - interval 1 day
        ),
        candidates as (
            select distinct "{key}" as id from raw.{feed.name}
            where _file_sha256 in (select file_sha256 from latest)
        )
        select "{key}", list(distinct _source_file order by _source_file)
        from raw.{feed.name}
        where "{key}" in (select id from candidates)
        group by "{key}"
        having count(*) > 1 and min({fingerprint}) <> max({fingerprint})
        order by "{key}" """).fetchall()
