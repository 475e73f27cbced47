"""Daily SIRENE updates from API Sirene 3.11: the legal units and establishments INSEE processed on a given day
(`dateDernierTraitement…`), saved as CSV with the stock's headers in `sirene/updates/<day>_<collection>.csv`.

The key goes in the `X-INSEE-Api-Key-Integration` header (INSEE_API_KEY; never logged). Before fetching, the
`informations` endpoint must say the service and both collections are up. Results are paged with the cursor
(`curseur=*`, then `curseurSuivant` until it stops moving, `nombre=1000`); requests are paced under the rate limit and
back off on 429 (honouring Retry-After) and on 5xx. A day already saved is not fetched again (idempotent); each file
is written aside and renamed into place, so a failure never leaves half a day.
"""

from __future__ import annotations

import csv
import datetime as dt
import logging
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import requests

from ingestion.download import _retry_after
from ingestion.sources import SIRENE_SCHEMA
from ingestion.warehouse import Log

logger = logging.getLogger(__name__)

API_URL = "https://api.insee.fr/api-sirene/3.11"
KEY_HEADER = "X-INSEE-Api-Key-Integration"
PAGE_SIZE = 1000
# 30 requests a minute on the public plan: one request every 2 s stays under it.
MIN_INTERVAL_S = 2.0


@dataclass(frozen=True)
class Collection:
    name: str            # file suffix and raw table suffix
    endpoint: str        # siren | siret
    records_key: str     # key of the records list in the response
    date_field: str      # the day's processing date
    periods_key: str     # history of the record; the current period has no dateFin
    stock: str           # stock file whose columns the CSV carries


COLLECTIONS = [
    Collection("unites_legales", "siren", "unitesLegales", "dateDernierTraitementUniteLegale",
               "periodesUniteLegale", "StockUniteLegale"),
    Collection("etablissements", "siret", "etablissements", "dateDernierTraitementEtablissement",
               "periodesEtablissement", "StockEtablissement"),
]


class SireneApiError(RuntimeError):
    """API Sirene refused or failed; the message says what to do."""


@dataclass
class DailyUpdate:
    day: dt.date
    files: dict[str, Path] = field(default_factory=dict)
    rows: dict[str, int] = field(default_factory=dict)
    skipped: str | None = None


class SireneApiUnavailable(SireneApiError):
    """API Sirene could not be reached or is not ready: an optional step, skipped with a warning."""


def redact(text: str, secret: str) -> str:
    """`text` with the secret masked wherever it appears (an error body may echo the key it was sent)."""
    return text.replace(secret, "***") if secret else text


class _KeyOnlyToItsOrigin(requests.Session):
    """A session that sends the API key to the configured origin only: requests strips `Authorization` from a
    redirect to another host, but not a custom header such as X-INSEE-Api-Key-Integration."""

    def __init__(self, origin: str):
        super().__init__()
        self._origin = urlsplit(origin)[:2]

    def rebuild_auth(self, prepared_request, response):
        super().rebuild_auth(prepared_request, response)
        if urlsplit(prepared_request.url)[:2] != self._origin:
            prepared_request.headers.pop(KEY_HEADER, None)


class SireneApi:
    def __init__(self, api_key: str, base_url: str = API_URL, session: requests.Session | None = None,
                 min_interval_s: float = MIN_INTERVAL_S, max_retries: int = 6, log: Log = logger.info):
        self.base_url = base_url.rstrip("/")
        self.api_key = api_key
        self.session = session or _KeyOnlyToItsOrigin(self.base_url)
        self.session.headers.update({KEY_HEADER: api_key, "Accept": "application/json"})
        self.min_interval_s = min_interval_s
        self.max_retries = max_retries
        self.log = log
        self._last_request = 0.0

    def get(self, path: str, params: dict | None = None) -> dict | None:
        """GET a JSON document; None when the API answers 404 (its way of saying "no record matches")."""
        url = f"{self.base_url}/{path.lstrip('/')}"
        for attempt in range(self.max_retries + 1):
            wait = self._last_request + self.min_interval_s - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            self._last_request = time.monotonic()
            try:
                response = self.session.get(url, params=params, timeout=60)
            except requests.ConnectionError as exc:
                if attempt == self.max_retries:
                    raise SireneApiUnavailable(f"API Sirene unreachable at {self.base_url}: "
                                               f"{redact(str(exc), self.api_key)}") from exc
                time.sleep(min(2 ** attempt, 60))
                continue
            if response.status_code == 200:
                return response.json()
            if response.status_code == 404:
                return None
            if response.status_code in (401, 403):
                raise SireneApiError(f"API Sirene refused the key (HTTP {response.status_code}): check INSEE_API_KEY "
                                     "and that the application subscribes to API Sirene on portail-api.insee.fr")
            if response.status_code == 429 or response.status_code >= 500:
                delay = _retry_after(response, default=min(2 ** attempt, 60))
                if attempt < self.max_retries:
                    self.log(f"API Sirene answered {response.status_code} on {path}; retrying in {delay:.0f} s")
                    time.sleep(delay)
                    continue
            raise SireneApiError(f"API Sirene answered HTTP {response.status_code} on {path}: "
                                 f"{redact(response.text, self.api_key)[:300]}")
        raise SireneApiUnavailable(f"API Sirene still failing on {path} after {self.max_retries} retries; the "
                                   f"update is fetched on the next run")

    def check_ready(self) -> None:
        """The `informations` endpoint must say the service and its collections are up."""
        info = self.get("informations") or {}
        state = info.get("etatService")
        collections = {c.get("Collection"): c.get("etatCollection") for c in info.get("etatsDesServices", [])}
        down = [name for name, status in collections.items() if status != "UP"]
        if state != "UP" or down:
            raise SireneApiUnavailable(f"API Sirene is not ready (service {state}, collections down: {down or 'none'}); "
                                 "the day will be fetched on the next run")

    def records_of_day(self, collection: Collection, day: dt.date) -> Iterator[dict]:
        cursor = "*"
        while True:
            page = self.get(collection.endpoint, {"q": f"{collection.date_field}:{day.isoformat()}",
                                                  "nombre": PAGE_SIZE, "curseur": cursor})
            if page is None:
                return
            records = page.get(collection.records_key) or []
            yield from records
            following = (page.get("header") or {}).get("curseurSuivant")
            if not records or not following or following == cursor:
                return
            cursor = following


def flatten(record: dict, collection: Collection) -> dict:
    """One record as a stock row: its own fields, its address blocks, and its current period (no dateFin)."""
    row = {k: v for k, v in record.items() if not isinstance(v, (dict, list))}
    for block in ("adresseEtablissement", "adresse2Etablissement"):
        row.update({k: v for k, v in (record.get(block) or {}).items() if not isinstance(v, (dict, list))})
    periods = record.get(collection.periods_key) or []
    current = next((p for p in periods if p.get("dateFin") is None), periods[0] if periods else {})
    row.update({k: v for k, v in current.items()
                if not isinstance(v, (dict, list)) and not k.startswith("changement") and k != "dateFin"})
    return row


def _csv_value(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def fetch_daily_updates(day: dt.date, updates_dir: Path, api_key: str | None, *, base_url: str | None = None,
                        force: bool = False, min_interval_s: float = MIN_INTERVAL_S,
                        session: requests.Session | None = None, log: Log = logger.info) -> DailyUpdate:
    """Save the day's updated legal units and establishments as `<day>_<collection>.csv` in `updates_dir`."""
    result = DailyUpdate(day)
    if not api_key:
        result.skipped = "INSEE_API_KEY is not set: the daily SIRENE update is skipped (the monthly stock still lands)"
        log(result.skipped)
        return result
    targets = {c.name: updates_dir / f"{day.isoformat()}_{c.name}.csv" for c in COLLECTIONS}
    if not force and all(path.exists() for path in targets.values()):
        result.skipped = f"SIRENE updates of {day} already saved in {updates_dir}"
        result.files = targets
        log(result.skipped)
        return result
    api = SireneApi(api_key, base_url or os.environ.get("LEADS_SIRENE_API_URL") or API_URL, session=session,
                    min_interval_s=min_interval_s, log=log)
    api.check_ready()
    updates_dir.mkdir(parents=True, exist_ok=True)
    for collection in COLLECTIONS:
        columns = list(SIRENE_SCHEMA[collection.stock]["columns"])
        staged = targets[collection.name].with_suffix(".csv.part")
        count = 0
        try:
            with staged.open("w", newline="", encoding="utf-8") as fh:
                writer = csv.writer(fh)
                writer.writerow(columns)
                for record in api.records_of_day(collection, day):
                    row = flatten(record, collection)
                    writer.writerow([_csv_value(row.get(column)) for column in columns])
                    count += 1
                    if count % 10_000 == 0:
                        log(f"{collection.name} of {day}: {count:,} records so far")
            os.replace(staged, targets[collection.name])
        finally:
            staged.unlink(missing_ok=True)
        result.files[collection.name] = targets[collection.name]
        result.rows[collection.name] = count
        log(f"{collection.name} updated on {day}: {count:,} records → {targets[collection.name]}")
    return result


def land_daily_updates(con, updates_dir: Path, log: Log = logger.info) -> dict[str, int]:
    """Land every saved day into `raw.sirene_updates_<collection>` (the latest processing of each record wins in
    staging, over the stock). The table is rebuilt aside from all the day files and swapped in one transaction;
    rows that do not fit the stock's types go to `quarantine.sirene_updates_<collection>`."""
    from ingestion.sources import SIRENE_ETABLISSEMENTS, SIRENE_UNITES_LEGALES

    specs = {"unites_legales": SIRENE_UNITES_LEGALES, "etablissements": SIRENE_ETABLISSEMENTS}
    con.execute("create schema if not exists raw")
    con.execute("create schema if not exists quarantine")
    landed = {}
    for name, spec in specs.items():
        table = f"sirene_updates_{name}"
        files = sorted(updates_dir.glob(f"*_{name}.csv")) if updates_dir.is_dir() else []
        columns = ", ".join(f"'{c}': '{t}'" for c, t in spec.columns.items())
        if files:
            listing = ", ".join(f"'{f}'" for f in files)
            con.execute(f"""create or replace table raw.{table}__loading as
                select *, filename as _source_file from read_csv([{listing}], header = true, columns = {{{columns}}},
                    filename = true, store_rejects = true, rejects_table = '{table}_rejects',
                    rejects_scan = '{table}_reject_scans')""")
            con.execute(f"""create or replace table quarantine.{table}__loading as
                select f.file_path as source_file, r.line as source_line, r.error_message as reason,
                       r.csv_line as raw_line, now()::timestamp as quarantined_at
                from {table}_rejects r join {table}_reject_scans f using (scan_id, file_id)""")
        else:  # no update yet: empty tables with the stock's columns, so staging reads the stock alone
            typed = ", ".join(f'"{c}" {t}' for c, t in spec.columns.items())
            con.execute(f"create or replace table raw.{table}__loading ({typed}, _source_file varchar)")
            con.execute(f"""create or replace table quarantine.{table}__loading (source_file varchar,
                source_line bigint, reason varchar, raw_line varchar, quarantined_at timestamp)""")
        con.execute("begin transaction")
        try:
            for schema in ("raw", "quarantine"):
                con.execute(f"drop table if exists {schema}.{table}")
                con.execute(f"alter table {schema}.{table}__loading rename to {table}")
            con.execute("commit")
        except BaseException:
            con.execute("rollback")
            raise
        landed[name] = con.execute(f"select count(*) from raw.{table}").fetchone()[0]
        quarantined = con.execute(f"select count(*) from quarantine.{table}").fetchone()[0]
        log(f"raw.{table}: {landed[name]:,} updated records from {len(files)} day file(s)"
            + (f", {quarantined} quarantined" if quarantined else ""))
    return landed
