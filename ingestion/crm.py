"""Land CRM exports (HubSpot UI exports, Salesforce Data Export) as they are downloaded: any encoding (UTF-8 with or
without BOM, Windows-1252) and delimiter (`,` or `;`), recognised from their headers. Every value lands as text in a
long table `raw.crm_records` (file, line, header, value); the dbt seed `crm_field_mapping` turns headers into
canonical fields, so an analyst maps a custom property without touching code. SIREN, SIRET and VAT values are
checked with python-stdnum into `raw.crm_identifier_checks`.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import hashlib
import re
import time
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
from stdnum.fr import siren as stdnum_siren
from stdnum.fr import siret as stdnum_siret
from stdnum.fr import tva as stdnum_tva

from privacy.erasure import apply_erasure_requests, create_erasure_requests_table, email_sha256, erase_crm_records
from ingestion.landing import LOAD_LOG_DDL, GateError, LandingError, read_csv_header
from ingestion.landing_zone import IN_PROGRESS_SUFFIXES
from ingestion.settings import REPO_ROOT
from ingestion.warehouse import Log, logger

MAPPING_SEED = REPO_ROOT / "dbt_project" / "seeds" / "crm" / "crm_field_mapping.csv"
ERASURE_FILE = "erasure_requests.csv"

# Which object an export holds, from its headers (normalised, see normalize_header): the first rule whose headers the
# file has wins. HubSpot names an export after the view it was saved from, so the file name is only a hint, used when
# the headers leave the object open.
OBJECT_BY_HEADERS = {
    "hubspot": [
        ("deals", {"deal name", "deal stage", "dealname", "dealstage", "nom de la transaction",
                   "phase de la transaction", "pipeline"}),
        ("contacts", {"email", "first name", "last name", "firstname", "lastname", "prenom", "adresse e-mail",
                      "e-mail", "job title", "jobtitle", "intitule du poste"}),
        ("companies", {"company name", "company domain name", "nom de l'entreprise", "domain",
                       "nom de domaine de l'entreprise", "name"}),
    ],
    "salesforce": [
        ("deals", {"stagename"}),
        ("leads", {"isconverted", "convertedaccountid", "converteddate", "company"}),
        ("contacts", {"lastname", "firstname"}),
        ("companies", {"name"}),
    ],
}
# the hint: the object a file name speaks of (HubSpot: hubspot-crm-exports-all-contacts-2026-02-27.csv,
# companies*.csv; Salesforce: Account.csv, ...)
OBJECT_BY_NAME = [
    (re.compile(r"(companies|company|entreprises?|accounts?)", re.I), "companies"),
    (re.compile(r"contacts?", re.I), "contacts"),
    (re.compile(r"leads?", re.I), "leads"),
    (re.compile(r"(deals?|transactions?|opportunit(y|ies))", re.I), "deals"),
]
SPREADSHEET_SUFFIXES = (".xlsx", ".xls")
CRM_SUFFIXES = (".csv", *SPREADSHEET_SUFFIXES)
HUBSPOT_ID_HEADERS = {"record id", "id de fiche", "id de fiche d'informations", "hs_object_id"}
RECORDS_DDL = """create table if not exists raw.crm_records (
    crm_source varchar, object_type varchar, source_file varchar, record_number bigint, header varchar, value varchar)"""
CHECKS_DDL = """create table if not exists raw.crm_identifier_checks (
    raw_value varchar, id_kind varchar, normalized varchar, is_valid boolean, siren varchar, siret varchar,
    reason varchar)"""
DATE_COLUMNS_DDL = """create table if not exists raw.crm_date_columns (
    source_file varchar, header varchar, n_values bigint, date_order varchar, evidence varchar,
    has_two_digit_years boolean, example varchar)"""
QUARANTINE_DDL = """create table if not exists quarantine.crm_records (
    source_file varchar, source_line bigint, reason varchar, raw_line varchar, quarantined_at timestamp)"""


def normalize_header(label: str) -> str:
    """Compare headers the way a person reads them: case, accents, apostrophes and spacing do not matter."""
    text = unicodedata.normalize("NFKD", label.replace("\ufeff", "").replace("’", "'"))
    text = "".join(c for c in text if not unicodedata.combining(c))
    return re.sub(r"\s+", " ", text).strip().lower()


@dataclass
class CrmFile:
    path: Path
    crm_source: str  # hubspot | salesforce
    object_type: str  # companies | contacts | leads | deals
    encoding: str
    delimiter: str
    header: list[str]
    name: str  # the file as the user dropped it (path may be a CSV copy of a spreadsheet)


@dataclass
class CrmLandingResult:
    files: list[dict] = field(default_factory=list)
    rows_by_object: dict[str, int] = field(default_factory=dict)
    rows_quarantined: int = 0
    identifiers_checked: int = 0
    identifiers_invalid: int = 0
    erasure_requests: int = 0
    ambiguous_date_columns: list[str] = field(default_factory=list)
    unchanged: bool = False
    duration_s: float = 0.0


def detect_encoding(path: Path) -> str:
    """UTF-8 (BOM or not) when every byte decodes, else Windows-1252 (what Excel on a French Windows writes)."""
    with path.open("rb") as fh:
        head = fh.read(3)
        if head == codecs.BOM_UTF8:
            return "utf-8-sig"
        if head[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE):  # Excel's "Unicode text", some CRM exports
            return "utf-16"
        fh.seek(0)
        decoder = codecs.getincrementaldecoder("utf-8")()
        try:
            while chunk := fh.read(1 << 20):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return "cp1252"
    return "utf-8"


def _object_from_headers(crm_source: str, keys: set[str]) -> str | None:
    return next((obj for obj, headers in OBJECT_BY_HEADERS[crm_source] if keys & headers), None)


def recognise(path: Path, origin: Path | None = None) -> CrmFile:
    """Tell the CRM and the object from the headers (the file name only breaks a tie); fail naming the file when it
    is neither. `origin` is the file as the user dropped it, when `path` is a converted copy (a spreadsheet)."""
    origin = origin or path
    name = origin.name
    encoding = detect_encoding(path)
    try:
        header, delimiter = read_csv_header(path, encoding=encoding)
    except UnicodeDecodeError as exc:
        raise LandingError(f"{origin}: encoding not readable as {encoding} ({exc.reason} at byte {exc.start}). Export "
                           f"it again as CSV UTF-8, or save it from Excel as 'CSV UTF-8'.") from exc
    keys = {normalize_header(h) for h in header}
    if keys & HUBSPOT_ID_HEADERS:
        crm_source = "hubspot"
    elif "id" in keys and keys & {"name", "lastname", "accountid", "stagename", "company", "email", "isconverted"}:
        crm_source = "salesforce"
    else:
        raise LandingError(
            f"{origin}: not a HubSpot or Salesforce export (no 'Record ID' / 'ID de fiche' / 'hs_object_id', nor "
            f"Salesforce 'Id'); headers: {', '.join(header[:15])}. Export it again with the record ID column, or "
            f"move it out of crm/."
        )
    by_name = next((obj for pattern, obj in OBJECT_BY_NAME if pattern.search(Path(name).stem)), None)
    object_type = _object_from_headers(crm_source, keys) or by_name
    if object_type is None:
        raise LandingError(
            f"{origin}: cannot tell which {crm_source} object this is from its headers or its name; export it with "
            f"its name or e-mail column, or name it companies*.csv, contacts*.csv, deals*.csv (HubSpot) or "
            f"Account.csv, Contact.csv, Lead.csv, Opportunity.csv (Salesforce)"
        )
    if crm_source == "hubspot" and object_type == "leads":
        object_type = "contacts"
    if len(set(header)) != len(header):
        raise LandingError(f"{origin}: duplicate column names in the header")
    return CrmFile(path, crm_source, object_type, encoding, delimiter, header, name)


def _identifier_headers() -> dict[str, str]:
    """Normalised header -> identifier kind (siren, siret, vat_number), from the analysts' mapping seed."""
    kinds = {}
    with MAPPING_SEED.open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            if row["canonical_field"] in ("siren", "siret", "vat_number"):
                kinds[normalize_header(row["header"])] = row["canonical_field"]
    return kinds


def check_identifier(value: str, kind: str) -> tuple[str, bool, str | None, str | None, str | None]:
    """(normalised, is_valid, siren, siret, reason) for a SIREN, SIRET or FR VAT number as typed in a CRM."""
    compact = re.sub(r"[\s.\-_/]", "", value).upper()
    if kind in ("siren", "siret") and compact.isdigit() and len(compact) == 14:
        kind = "siret"  # a SIRET typed in the SIREN field still identifies the company
    if kind == "siren" and compact.isdigit() and len(compact) == 9:
        return (compact, True, compact, None, None) if stdnum_siren.is_valid(compact) else (
            compact, False, None, None, "SIREN check digit (Luhn) does not match")
    if kind == "siret":
        if not (compact.isdigit() and len(compact) == 14):
            return compact, False, None, None, "a SIRET has 14 digits"
        # stdnum knows La Poste's SIRETs (SIREN 356000000), whose NICs do not follow the Luhn key
        if stdnum_siret.is_valid(compact):
            return compact, True, compact[:9], compact, None
        return compact, False, None, None, "SIRET check digit (Luhn) does not match"
    if kind == "vat_number":
        vat = compact if compact.startswith("FR") else "FR" + compact
        if stdnum_tva.is_valid(vat):
            siren = vat[-9:] if vat[2:4].isdigit() else None
            return vat, True, siren, None, None
        return vat, False, None, None, "not a valid French VAT number (FR + key + SIREN)"
    return compact, False, None, None, f"a SIREN has 9 digits, got {len(compact)} characters"


def snapshot_digest(paths: list[Path]) -> str:
    digest = hashlib.sha256()
    for path in paths:
        digest.update(path.name.encode())
        with path.open("rb") as fh:
            while chunk := fh.read(8 << 20):
                digest.update(chunk)
    return digest.hexdigest()


def _utf8_copy(path: Path, encoding: str, temp_dir: Path) -> Path:
    """DuckDB reads UTF-8: a Windows-1252 or UTF-16 file is transcoded as a stream (accents, €, ’ and œ survive)."""
    if encoding == "utf-8":
        return path
    temp_dir.mkdir(parents=True, exist_ok=True)
    target = temp_dir / f"{path.stem}.utf8.csv"
    with path.open("r", encoding=encoding, newline="") as src, \
            target.open("w", encoding="utf-8", newline="") as dst:
        while chunk := src.read(1 << 20):
            dst.write(chunk)
    return target


def _cell_text(value) -> str:
    """A spreadsheet cell as the CSV export of the same view writes it: dates in ISO, booleans true/false, whole
    numbers without a decimal point (record IDs, headcounts)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ", timespec="seconds")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return str(value)


def _spreadsheet_rows(path: Path):
    """The first sheet's rows. An .xlsx is streamed (openpyxl's read-only mode reads the XML as it goes, so memory
    stays flat whatever the size); an .xls (Excel 97-2003) is read by calamine: the format holds at most 65,536 rows."""
    if path.suffix.lower() == ".xlsx":
        import openpyxl

        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
        try:
            sheet = workbook.worksheets[0]
            sheet.reset_dimensions()  # some writers record a wrong sheet size: read every row there is
            yield from sheet.iter_rows(values_only=True)
        finally:
            workbook.close()
    else:
        from python_calamine import CalamineWorkbook

        yield from CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).iter_rows()


def spreadsheet_as_csv(path: Path, temp_dir: Path, log: Log = logger.info) -> Path:
    """Write the first sheet of an .xlsx / .xls export as a UTF-8 CSV in temp_dir, row by row; it then lands like the
    CSV export of the same view."""
    temp_dir.mkdir(parents=True, exist_ok=True)
    target = temp_dir / f"{path.name}.csv"
    width = None
    try:
        with target.open("w", encoding="utf-8", newline="") as fh:
            writer = csv.writer(fh)
            for n, row in enumerate(_spreadsheet_rows(path)):
                cells = [_cell_text(v) for v in row]
                if width is None:  # the header: trailing empty cells are not columns
                    while cells and not cells[-1].strip():
                        cells.pop()
                    width = len(cells)
                cells = (cells + [""] * width)[:width]
                if n and not any(c.strip() for c in cells):
                    continue  # an empty row (Excel keeps formatted empty rows)
                writer.writerow(cells)
                if n and n % 100_000 == 0:
                    log(f"{path.name}: {n:,} rows read")
    except Exception as exc:  # zipfile / XML / calamine errors: the file is not a readable workbook
        target.unlink(missing_ok=True)
        if isinstance(exc, LandingError):
            raise
        raise LandingError(f"{path}: not a readable {path.suffix.lower()} workbook ({type(exc).__name__}: "
                           f"{str(exc)[:200]}). Download the export again, or export it as CSV.") from exc
    if not width:
        target.unlink(missing_ok=True)
        raise LandingError(f"{path}: the first sheet is empty (no header row)")
    return target


def crm_export_files(crm_dir: Path) -> list[Path]:
    """The exports and the erasure requests of the CRM folder. A file the pipeline cannot read (another format, a zip
    not unpacked) is an error naming it, never skipped: a CRM snapshot without it would look like deletions."""
    if not crm_dir.is_dir():
        return []
    files, unreadable = [], []
    for path in sorted(p for p in crm_dir.iterdir() if p.is_file()):
        if path.name.startswith(".") or path.name.endswith(IN_PROGRESS_SUFFIXES):
            continue
        (files if path.suffix.lower() in CRM_SUFFIXES else unreadable).append(path)
    if unreadable:
        raise LandingError(
            f"{crm_dir}: {', '.join(p.name for p in unreadable)}: not a format the CRM landing reads. Export from "
            f"HubSpot or Salesforce as CSV, XLSX or XLS (unzip a Salesforce Data Export first), or move the file out "
            f"of crm/.")
    return files


def land_crm(con: duckdb.DuckDBPyConnection, crm_dir: Path, *, temp_dir: Path, force: bool = False,
             log: Log = logger.info) -> CrmLandingResult | None:
    """Land every export in `crm_dir` as one snapshot (the CRM's current state), swapped in atomically. None when the
    folder holds no export."""
    started = time.monotonic()
    con.execute("create schema if not exists raw")
    con.execute("create schema if not exists quarantine")
    for ddl in (LOAD_LOG_DDL, RECORDS_DDL, CHECKS_DDL, DATE_COLUMNS_DDL, QUARANTINE_DDL):
        con.execute(ddl)
    create_erasure_requests_table(con)
    paths = crm_export_files(crm_dir)
    exports = [p for p in paths if p.name != ERASURE_FILE]
    if not paths:
        log(f"no CRM export in {crm_dir}: raw.crm_records left as it is")
        return None
    digest = snapshot_digest(paths)
    last = con.execute("select file_sha256 from raw._load_log where table_name = 'crm_records' "
                       "order by finished_at desc limit 1").fetchone()
    if last and last[0] == digest and not force:
        log(f"CRM exports unchanged since the last load: raw.crm_records kept as it is")
        return CrmLandingResult(unchanged=True, duration_s=time.monotonic() - started)

    converted: list[Path] = []  # CSV copies of spreadsheets, removed once landed
    try:
        files = []
        for path in exports:
            if path.suffix.lower() in SPREADSHEET_SUFFIXES:
                converted.append(spreadsheet_as_csv(path, temp_dir, log))
                files.append(recognise(converted[-1], origin=path))
            else:
                files.append(recognise(path))
        return _land_snapshot(con, crm_dir, paths, files, digest, temp_dir, started, force, log)
    finally:
        for copy in converted:
            copy.unlink(missing_ok=True)


def _land_snapshot(con: duckdb.DuckDBPyConnection, crm_dir: Path, paths: list[Path], files: list[CrmFile],
                   digest: str, temp_dir: Path, started: float, force: bool, log: Log) -> CrmLandingResult:
    for leftover in ("crm_records__loading", "crm_identifier_checks__loading", "crm_date_columns__loading",
                     "crm_erasure_requests__loading"):
        con.execute(f"drop table if exists raw.{leftover}")
    con.execute("drop table if exists quarantine.crm_records__loading")
    con.execute("create table raw.crm_records__loading as select * from raw.crm_records limit 0")
    con.execute("create table quarantine.crm_records__loading as select * from quarantine.crm_records limit 0")
    result = CrmLandingResult()
    # record numbers follow the file's order
    con.execute("set preserve_insertion_order = true")
    for crm_file in files:
        readable = _utf8_copy(crm_file.path, crm_file.encoding, temp_dir)
        try:
            n, bad = _land_one(con, crm_file, readable)
        finally:
            if readable != crm_file.path:
                readable.unlink(missing_ok=True)
        result.files.append({"file": crm_file.name, "crm": crm_file.crm_source, "object": crm_file.object_type,
                             "encoding": crm_file.encoding, "delimiter": crm_file.delimiter, "rows": n,
                             "quarantined": bad})
        key = f"{crm_file.crm_source}_{crm_file.object_type}"
        result.rows_by_object[key] = result.rows_by_object.get(key, 0) + n
        result.rows_quarantined += bad
        log(f"{crm_file.name}: {crm_file.crm_source} {crm_file.object_type}, {crm_file.encoding}, "
            f"'{crm_file.delimiter}'-separated, {n:,} records" + (f", {bad} quarantined" if bad else ""))

    con.execute("reset preserve_insertion_order")
    _check_identifiers(con, result)
    result.ambiguous_date_columns = _detect_date_orders(con, log)
    # Erasure requests accumulate: a line removed from the file later does not bring anyone back.
    erasure = crm_dir / ERASURE_FILE
    readable_requests = _utf8_copy(erasure, detect_encoding(erasure), temp_dir) if erasure.is_file() else None
    try:
        _stage_erasure_requests(con, erasure, readable_requests)
    finally:
        if readable_requests is not None and readable_requests != erasure:
            readable_requests.unlink(missing_ok=True)
    result.erasure_requests = con.execute("select count(*) from raw.crm_erasure_requests__loading").fetchone()[0]
    _check_snapshot(con, force, log)

    # erased people never reach raw.crm_records, not even for the moment between the swap and the erasure below
    erase_crm_records(con, "raw.crm_records__loading", "raw.crm_erasure_requests__loading")

    total_rows = sum(result.rows_by_object.values())
    con.execute("begin transaction")
    try:
        for schema, table in (("raw", "crm_records"), ("raw", "crm_identifier_checks"),
                              ("raw", "crm_date_columns"), ("raw", "crm_erasure_requests"),
                              ("quarantine", "crm_records")):
            con.execute(f"drop table if exists {schema}.{table}")
            con.execute(f"alter table {schema}.{table}__loading rename to {table}")
        con.execute(
            "insert into raw._load_log values ('crm_records', ?, ?, 'csv', ?, ?, ?, ?, null, [], [], ?, now()::timestamp)",
            [", ".join(p.name for p in paths), str(crm_dir), sum(p.stat().st_size for p in paths), digest, total_rows,
             result.rows_quarantined, dt.datetime.now()],
        )
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
    apply_erasure_requests(con, log)
    result.duration_s = time.monotonic() - started
    log(f"landed {total_rows:,} CRM records from {len(files)} file(s) in {result.duration_s:.1f} s")
    return result


# The erasure request file's columns, as people name them (compared like export headers: case, accents, spacing).
ERASURE_EMAIL_HEADERS = {"email", "e-mail", "adresse e-mail", "adresse email", "adresse mail", "courriel", "mail",
                         "email address"}
ERASURE_DATE_HEADERS = {"requested_at", "date", "date de la demande", "date de demande", "requested on",
                        "request date"}
# A CRM snapshot whose object holds fewer records than this share of the previous snapshot's is refused unless
# forced: a missing, cut or wrongly exported file must not empty the publication and the status history.
MIN_SHARE_OF_PREVIOUS_SNAPSHOT = 0.9


def _stage_erasure_requests(con: duckdb.DuckDBPyConnection, path: Path, readable: Path | None) -> None:
    """raw.crm_erasure_requests__loading: the requests kept so far and the file's, one row per address, stored as the
    SHA-256 of the address (lower-cased, trimmed): the warehouse can recognise an erased person without holding the
    address."""
    new_requests = "select email_sha256, requested_at, source_file, erased_from_disk_at from raw.crm_erasure_requests limit 0"
    if readable is not None:
        header, delimiter = read_csv_header(readable, encoding="utf-8-sig")
        keys = {normalize_header(h): h for h in header}
        email = next((keys[k] for k in keys if k in ERASURE_EMAIL_HEADERS), None)
        if email is None:
            raise LandingError(f"{path}: no e-mail column (found {', '.join(header)}); name the columns email and "
                               f"requested_at (or 'Adresse e-mail' and 'Date de la demande'). No request was applied "
                               f"from this file, and the CRM exports were not landed.")
        date = next((keys[k] for k in keys if k in ERASURE_DATE_HEADERS), None)
        requested = (f"coalesce(try_cast({_sql_ident(date)} as date), try_strptime({_sql_ident(date)}, "
                     f"'%d/%m/%Y')::date)" if date else "null::date")
        new_requests = f"""select {email_sha256(_sql_ident(email))}, {requested}, '{ERASURE_FILE}', null::timestamp
                           from read_csv({_sql_str(str(readable))}, header = true, all_varchar = true,
                                         delim = {_sql_str(delimiter)})
                           where nullif(trim({_sql_ident(email)}), '') is not null"""
    con.execute(f"""create table raw.crm_erasure_requests__loading as
        select email_sha256, min(requested_at) as requested_at, min(source_file) as source_file,
               max(erased_from_disk_at) as erased_from_disk_at
        from (select email_sha256, requested_at, source_file, erased_from_disk_at from raw.crm_erasure_requests
              union all {new_requests}) as requests
        group by email_sha256""")


def _check_snapshot(con: duckdb.DuckDBPyConnection, force: bool, log: Log) -> None:
    """The gates of a CRM snapshot, before it replaces the last one: the same export twice is refused (its records
    would count twice), and so is an object with under MIN_SHARE_OF_PREVIOUS_SNAPSHOT of its previous records (a
    missing or cut export), unless forced."""
    ids = ", ".join(_sql_str(h) for h in sorted(HUBSPOT_ID_HEADERS | {"id"}))
    twice = con.execute(f"""
        select crm_source, object_type, list(distinct source_file order by source_file), any_value(value)
        from raw.crm_records__loading
        where lower(trim(header)) in ({ids})
        group by crm_source, object_type, value
        having count(distinct source_file) > 1
        limit 1""").fetchone()
    if twice:
        crm_source, object_type, files, value = twice
        pulled = [f for f in files if f.startswith(("hubspot-api-", "salesforce-api-"))]
        advice = (f"{pulled[0]} is pulled by API: remove the hand export{'s' if len(files) > 2 else ''} of this "
                  f"object from crm/" if pulled else
                  "the same export landed twice? Keep one of them in crm/ (a browser names a second download "
                  "'contacts (1).csv')")
        raise LandingError(
            f"{' and '.join(files)} hold the same {crm_source} {object_type} (record {value} is in both): {advice}. "
            f"The last CRM snapshot stays in place.")
    counts = con.execute("""
        with previous as (
            select crm_source, object_type, count(distinct (source_file, record_number)) as records
            from raw.crm_records group by 1, 2
        ),
        current as (
            select crm_source, object_type, count(distinct (source_file, record_number)) as records
            from raw.crm_records__loading group by 1, 2
        )
        select p.crm_source, p.object_type, p.records, coalesce(c.records, 0)
        from previous as p left join current as c using (crm_source, object_type)
        order by 1, 2""").fetchall()
    drops = [(crm, obj, before, now) for crm, obj, before, now in counts
             if now < MIN_SHARE_OF_PREVIOUS_SNAPSHOT * before]
    for crm, obj, before, now in drops:
        message = (f"{crm} {obj}: {now:,} records in crm/ against {before:,} in the last snapshot (under "
                   f"{MIN_SHARE_OF_PREVIOUS_SNAPSHOT:.0%})")
        if not force:
            raise GateError(f"{message}: is an export missing, cut, or in a format not read? The last CRM snapshot "
                            f"stays in place. If the drop is real, land the CRM again with force: true.")
        log(f"{message}: landed anyway (force)")


def _sql_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _sql_str(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _land_one(con: duckdb.DuckDBPyConnection, crm_file: CrmFile, readable: Path) -> tuple[int, int]:
    columns = "{" + ", ".join(f"{_sql_str(h)}: 'VARCHAR'" for h in crm_file.header) + "}"
    con.execute("drop table if exists crm_rejects")
    con.execute("drop table if exists crm_rejects_scan")
    con.execute(f"""create or replace temp table crm_file as
        select * from read_csv({_sql_str(str(readable))}, header = true, auto_detect = false,
                               delim = {_sql_str(crm_file.delimiter)}, quote = '"', escape = '"',
                               columns = {columns}, store_rejects = true, rejects_table = 'crm_rejects',
                               rejects_scan = 'crm_rejects_scan', rejects_limit = 0, filename = false,
                               null_padding = false)""")
    # records numbered in file order (1 = the first record after the header); rejected lines are not numbered
    con.execute("""create or replace temp table crm_file_numbered as
        select row_number() over () as record_number, * from crm_file""")
    n = con.execute("select count(*) from crm_file_numbered").fetchone()[0]
    con.execute(f"""insert into raw.crm_records__loading
        select {_sql_str(crm_file.crm_source)}, {_sql_str(crm_file.object_type)}, {_sql_str(crm_file.name)},
               record_number, header, nullif(trim(value), '')
        from (unpivot crm_file_numbered on columns(* exclude (record_number)) into name header value value)
        where nullif(trim(value), '') is not null""")
    con.execute(f"""insert into quarantine.crm_records__loading
        select {_sql_str(crm_file.name)}, line,
               string_agg(distinct lower(replace(error_type::varchar, '_', ' ')) || ': ' || error_message, ' | '),
               any_value(csv_line), now()::timestamp
        from crm_rejects group by line""")
    bad = con.execute("select count(*) from crm_rejects").fetchone()[0]
    return n, bad


# A date written with slashes or dots, day and month in an order the value alone may not tell: 24/02/2026 (French
# Excel), 02/24/26 02:18 AM (US Excel), 03.02.2026.
SLASH_DATE = r"^\s*([0-9]{1,2})[/.]([0-9]{1,2})[/.]([0-9]{2}|[0-9]{4})(\s|$)"


def _detect_date_orders(con: duckdb.DuckDBPyConnection, log: Log) -> list[str]:
    """For each column of each file whose values are all such dates, the day/month order its values show: a first
    part above 12 means day first (dmy), a second part above 12 month first (mdy). Kept in raw.crm_date_columns, which
    staging reads to parse them; a column no value decides is logged and left for the analyst's setting (dbt var
    crm_ambiguous_date_order). Returns the undecided columns as 'file: header'."""
    con.execute(f"""create table raw.crm_date_columns__loading as
        with parts as (  -- the values that look like such dates (a cheap test first: most values have no slash)
            select source_file, header, value,
                   try_cast(regexp_extract(value, '{SLASH_DATE}', 1) as integer) as first_part,
                   try_cast(regexp_extract(value, '{SLASH_DATE}', 2) as integer) as second_part,
                   length(regexp_extract(value, '{SLASH_DATE}', 3)) as year_digits
            from raw.crm_records__loading
            where (contains(value, '/') or contains(value, '.')) and regexp_matches(value, '{SLASH_DATE}')
        ),
        column_sizes as (
            select source_file, header, count(*) as n_values from raw.crm_records__loading group by 1, 2
        ),
        columns_of_dates as (  -- the columns whose every value is such a date
            select p.source_file, p.header, any_value(s.n_values) as n_values, max(first_part) as max_first_part,
                   max(second_part) as max_second_part, min(year_digits) as min_year_digits,
                   min(value) filter (where first_part > 12 or second_part > 12) as deciding_example,
                   min(value) as example
            from parts as p
            join column_sizes as s using (source_file, header)
            group by p.source_file, p.header
            having count(*) = any_value(s.n_values)
        )
        select source_file, header, n_values,
               case when max_first_part > 12 and max_second_part <= 12 then 'dmy'
                    when max_second_part > 12 and max_first_part <= 12 then 'mdy' end as date_order,
               case when max_first_part > 12 and max_second_part > 12 then 'both parts exceed 12: not one order'
                    when max_first_part <= 12 and max_second_part <= 12 then 'no part above 12'
                    else 'decided by ' || deciding_example end as evidence,
               min_year_digits = 2 as has_two_digit_years,
               example
        from columns_of_dates""")
    undecided = con.execute("""select source_file, header, example, evidence from raw.crm_date_columns__loading
                               where date_order is null order by 1, 2""").fetchall()
    for source_file, header, example, evidence in undecided:
        log(f"{source_file}: column '{header}' holds dates like '{example}' whose day/month order its values do not "
            f"tell ({evidence}): landed as unknown dates. Set the dbt var crm_ambiguous_date_order to dmy or mdy "
            f"(dbt_project.yml) to decide it.")
    return [f"{source_file}: {header}" for source_file, header, _, _ in undecided]


def _check_identifiers(con: duckdb.DuckDBPyConnection, result: CrmLandingResult) -> None:
    """Each distinct value of a column the mapping seed calls siren, siret or vat_number, checked once."""
    import pyarrow as pa

    kinds = _identifier_headers()
    headers = [h for (h,) in con.execute("select distinct header from raw.crm_records__loading").fetchall()]
    id_headers = {h: kinds[normalize_header(h)] for h in headers if normalize_header(h) in kinds}
    rows = []
    if id_headers:
        values = con.execute(
            "select distinct header, value from raw.crm_records__loading where list_contains(?, header)",
            [list(id_headers)],
        ).fetchall()
        rows = [(value, id_headers[header], *check_identifier(value, id_headers[header])) for header, value in values]
    names = ["raw_value", "id_kind", "normalized", "is_valid", "siren", "siret", "reason"]
    checks = pa.table({name: [r[i] for r in rows] for i, name in enumerate(names)},
                      schema=pa.schema([(n, pa.bool_() if n == "is_valid" else pa.string()) for n in names]))
    con.register("identifier_checks_arrow", checks)
    con.execute("create table raw.crm_identifier_checks__loading as select distinct * from identifier_checks_arrow")
    con.unregister("identifier_checks_arrow")
    result.identifiers_checked = len(rows)
    result.identifiers_invalid = sum(1 for r in rows if not r[3])
