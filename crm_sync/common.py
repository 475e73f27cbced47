"""What the HubSpot and Salesforce clients share: pacing under a rate limit, the retry policy, the fields the mapping
seed asks for, and writing a pulled object as the CSV file its export would be (merged with the last pull when only
the changed records were fetched)."""

from __future__ import annotations

import collections
import csv
import datetime as dt
import json
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
from urllib3.util.retry import Retry

from ingestion.crm import MAPPING_SEED

# The state of the pulls (high-water marks, the last full pull), beside the files it describes; a dot file, so the
# CRM landing does not take it for an export.
STATE_FILE = ".crm-api-state.json"
# A full pull at least this often: the incremental pulls see changed records only, not deletions, merges or changed
# associations.
FULL_PULL_EVERY_DAYS = 7


class CrmApiError(RuntimeError):
    """The CRM refused or failed; the message says what to do (never the credentials)."""


class RateLimiter:
    """At most `max_calls` calls in any `per_seconds` window (HubSpot counts per rolling 10 seconds): `wait()` sleeps
    until the next call fits."""

    def __init__(self, max_calls: int, per_seconds: float):
        self.max_calls, self.per_seconds = max_calls, per_seconds
        self.calls: collections.deque[float] = collections.deque()
        self.count = 0

    def wait(self) -> None:
        now = time.monotonic()
        while self.calls and now - self.calls[0] >= self.per_seconds:
            self.calls.popleft()
        if len(self.calls) >= self.max_calls:
            time.sleep(self.per_seconds - (now - self.calls[0]))
            self.calls.popleft()
        self.calls.append(time.monotonic())
        self.count += 1


def retry_policy(backoff_factor: float = 1.0, total: int = 6) -> Retry:
    """Retry 429 (honouring Retry-After) and 5xx on every method: the calls retried are reads, searches and updates
    that set values, which give the same result twice."""
    return Retry(total=total, backoff_factor=backoff_factor, backoff_max=60,
                 status_forcelist=(429, 500, 502, 503, 504), allowed_methods=None,
                 respect_retry_after_header=True, raise_on_status=False)


def fields_to_pull(crm_source: str, object_type: str) -> list[str]:
    """The headers the mapping seed (dbt_project/seeds/crm/crm_field_mapping.csv) maps for this object that are API
    names (HubSpot internal property names, Salesforce field API names), in the seed's order: a property mapped there
    is pulled, with nothing else to configure."""
    api_name = (lambda h: h.replace("_", "").isalnum() and h.isascii()) if crm_source == "salesforce" \
        else (lambda h: h.replace("_", "").isalnum() and h.isascii() and h == h.lower())
    names: list[str] = []
    with MAPPING_SEED.open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            header = row["header"].strip()
            if row["crm_source"] == crm_source and row["object_type"] == object_type and api_name(header) \
                    and " " not in header and header not in names:
                names.append(header)
    return names


def api_text(value) -> str:
    """An API value as an export writes it: empty for null, true/false, 1500000 for 1500000.0."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def utc_text(value: str | dt.datetime | None) -> str:
    """An API timestamp as the exports write it: `YYYY-MM-DD HH:MM:SS`, in UTC."""
    if value in (None, ""):
        return ""
    if isinstance(value, str):
        text = value.replace("Z", "+00:00")
        if len(text) >= 5 and text[-5] in "+-" and text[-3] != ":":  # Salesforce's +0000
            text = text[:-2] + ":" + text[-2:]
        try:
            value = dt.datetime.fromisoformat(text)
        except ValueError:
            return value
    if value.tzinfo is not None:
        value = value.astimezone(dt.timezone.utc).replace(tzinfo=None)
    return value.isoformat(sep=" ", timespec="seconds")


def load_state(crm_dir: Path) -> dict:
    path = crm_dir / STATE_FILE
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}


def save_state(crm_dir: Path, state: dict) -> None:
    path = crm_dir / STATE_FILE
    partial = path.with_name(path.name + ".partial")
    partial.write_text(json.dumps(state, indent=2, sort_keys=True), encoding="utf-8")
    os.replace(partial, path)


def needs_full_pull(state: dict, file: Path, header: list[str], today: dt.date) -> str | None:
    """Why this object is pulled in full (None: only the changes): no file or state yet, the fields asked for
    changed (a property mapped since), or the last full pull is older than FULL_PULL_EVERY_DAYS."""
    if not file.is_file() or not state.get("high_water"):
        return "first pull"
    with file.open(encoding="utf-8", newline="") as fh:
        if next(csv.reader(fh), []) != header:
            return "the fields asked for changed"
    last_full = dt.date.fromisoformat(state.get("full_pull_at", "1970-01-01")[:10])
    if (today - last_full).days >= FULL_PULL_EVERY_DAYS:
        return f"last full pull {last_full.isoformat()}, {FULL_PULL_EVERY_DAYS} days or more ago"
    return None


@dataclass
class ObjectPull:
    """One object pulled: its file, how (full or the changes since the high-water mark) and what it brought."""
    crm_source: str
    object_type: str
    file: Path
    full: bool
    records: int = 0
    deleted: int = 0
    calls: int = 0
    seconds: float = 0.0
    reason: str = ""


@dataclass
class PullResult:
    objects: list[ObjectPull] = field(default_factory=list)
    skipped: str | None = None

    @property
    def records(self) -> int:
        return sum(o.records for o in self.objects)

    @property
    def calls(self) -> int:
        return sum(o.calls for o in self.objects)


class ObjectFileWriter:
    """Writes the rows of one pulled object to `<file>.partial`, then into place: a full pull replaces the file, an
    incremental one is merged with it (a changed record replaces its old row), so the file is always the object's
    whole current state, as an export would be. A failure leaves the last file as it was."""

    def __init__(self, file: Path, header: list[str], id_column: str, full: bool):
        self.file, self.header, self.id_column, self.full = file, header, id_column, full
        self.partial = file.with_name(file.name + ".partial")
        self.rows = 0
        self._ids: set[str] = set()
        self._repeated: set[str] = set()
        file.parent.mkdir(parents=True, exist_ok=True)
        self._fh = self.partial.open("w", encoding="utf-8", newline="")
        self._writer = csv.writer(self._fh, quoting=csv.QUOTE_ALL)
        self._writer.writerow(header)

    def write(self, row: dict[str, str]) -> None:
        """One record; a record met again (changed while the pull paged, or read twice where a search restarts) keeps
        its last version."""
        record_id = row.get(self.id_column, "")
        if record_id in self._ids:
            self._repeated.add(record_id)
        else:
            self._ids.add(record_id)
            self.rows += 1
        self._writer.writerow([row.get(h, "") for h in self.header])

    def __enter__(self) -> "ObjectFileWriter":
        return self

    def __exit__(self, kind, error, trace) -> None:
        if kind is not None:  # the pull failed: the last file stays as it was
            self.abort()

    def abort(self) -> None:
        self._fh.close()
        self.partial.unlink(missing_ok=True)

    def _keep_last_versions(self) -> None:
        column = self.header.index(self.id_column)
        with self.partial.open(encoding="utf-8", newline="") as fh:
            last_line = {row[column]: n for n, row in enumerate(csv.reader(fh)) if n and row[column] in self._repeated}
        kept = self.partial.with_name(self.partial.name + ".dedup")
        with self.partial.open(encoding="utf-8", newline="") as src, kept.open("w", encoding="utf-8", newline="") as out:
            writer = csv.writer(out, quoting=csv.QUOTE_ALL)
            for n, row in enumerate(csv.reader(src)):
                if n == 0 or row[column] not in self._repeated or last_line[row[column]] == n:
                    writer.writerow(row)
        os.replace(kept, self.partial)

    def commit(self) -> None:
        self._fh.close()
        if self._repeated:
            self._keep_last_versions()
        if not self.full and self.file.is_file():
            merged = self.file.with_name(self.file.name + ".merged.partial")
            options = "header = true, all_varchar = true, quote = '\"', escape = '\"'"
            ident = '"' + self.id_column.replace('"', '""') + '"'
            con = duckdb.connect()
            try:
                con.execute(f"""copy (
                        select * from read_csv($changed, {options})
                        union all by name
                        select * from read_csv($last, {options})
                        where {ident} not in (select {ident} from read_csv($changed, {options}))
                    ) to '{merged}' (header, quote '"', force_quote *)""",
                            {"changed": str(self.partial), "last": str(self.file)})
            finally:
                con.close()
            os.replace(merged, self.partial)
        os.replace(self.partial, self.file)


def finish_pull(pull: ObjectPull, writer: ObjectFileWriter, object_state: dict, high_water: str, today: dt.date,
                calls: int, started: float) -> ObjectPull:
    """The pulled file into place, then the state that says how far it reaches (in that order: a failure between
    the two pulls the same changes again, never skips any)."""
    writer.commit()
    object_state["high_water"] = high_water
    if pull.full:
        object_state["full_pull_at"] = today.isoformat()
    pull.records, pull.calls, pull.seconds = writer.rows, calls, time.monotonic() - started
    return pull
