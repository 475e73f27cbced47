"""Land one source file (zip of CSV, CSV or parquet) into a `raw` table: typed by header name, bad rows quarantined,
swapped in only when complete and past its gates, so readers never see half a load."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import os
import re
import time
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from ingestion.warehouse import Log, logger, progress, table_exists

FORMATS = {".zip": "zip", ".csv": "csv", ".parquet": "parquet"}
# A reload must keep at least this share of the rows the live table has (a truncated file must not replace a good one).
MIN_SHARE_OF_PREVIOUS_LOAD = 0.98

LOAD_LOG_DDL = """
create table if not exists raw._load_log (
    table_name varchar, file_name varchar, file_path varchar, file_format varchar, file_size bigint,
    file_sha256 varchar, rows_loaded bigint, rows_quarantined bigint, previous_rows bigint,
    extra_columns varchar[], missing_optional_columns varchar[], started_at timestamp, finished_at timestamp
)"""


def last_new_content_at(con: duckdb.DuckDBPyConnection, table: str) -> float | None:
    """When the warehouse last took in new content for `table` (a load in raw._load_log; an unchanged file is not
    logged), as a Unix timestamp: how late a source is counts from there. None before the first load."""
    if not table_exists(con, "raw", "_load_log"):
        return None
    # finished_at is the session's local time (now()::timestamp): back to an instant in the same time zone
    return con.execute("select epoch(max(finished_at)::timestamptz) from raw._load_log where table_name = ?",
                       [table]).fetchone()[0]


class LandingError(Exception):
    """A file that cannot be landed; the message names the file, the problem and what to do."""


class GateError(LandingError):
    """A complete load that failed a quality gate; the previous table stays in place."""


@dataclass(frozen=True)
class TableSpec:
    """How a published file maps to a raw table."""

    table: str
    columns: dict[str, str]  # canonical column name -> DuckDB type, in published order
    required: frozenset[str]
    key: str  # identifies a row, used to keep unknown columns aside
    case_insensitive_header: bool = False
    delimiter: str | None = None  # None: sniffed from the header line
    national_minimum_rows: int | None = None


@dataclass
class LandingResult:
    table: str
    file: Path
    file_format: str
    file_size: int
    sha256: str
    rows_loaded: int
    rows_quarantined: int
    previous_rows: int | None
    extra_columns: list[str] = field(default_factory=list)
    missing_optional_columns: list[str] = field(default_factory=list)
    unchanged: bool = False
    duration_s: float = 0.0

    def as_metadata(self) -> dict:
        return {
            "table": f"raw.{self.table}",
            "file": str(self.file),
            "file_format": self.file_format,
            "file_size_bytes": self.file_size,
            "sha256": self.sha256,
            "rows_loaded": self.rows_loaded,
            "rows_quarantined": self.rows_quarantined,
            "previous_rows": self.previous_rows if self.previous_rows is not None else -1,
            "extra_columns": ", ".join(self.extra_columns) or "none",
            "missing_optional_columns": ", ".join(self.missing_optional_columns) or "none",
            "unchanged": self.unchanged,
            "duration_s": round(self.duration_s, 1),
        }


def find_source_file(folder: Path, stem: str) -> Path | None:
    """The newest of `<stem>.parquet`, `<stem>.csv`, `<stem>.zip` in `folder`, or None when the source is absent."""
    candidates = [folder / f"{stem}{ext}" for ext in FORMATS if (folder / f"{stem}{ext}").is_file()]
    if not candidates:
        return None
    return max(candidates, key=lambda p: (p.stat().st_mtime, p.suffix))


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(8 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _unzip_single_csv(path: Path, temp_dir: Path, log: Log) -> Path:
    """Stream the archive's one CSV to disk (DuckDB reads plain files in parallel); CRC errors mean a damaged file."""
    try:
        with zipfile.ZipFile(path) as archive:
            members = [m for m in archive.infolist() if m.filename.lower().endswith(".csv")]
            if len(members) != 1:
                raise LandingError(
                    f"{path}: expected exactly one CSV in the archive, found {[m.filename for m in archive.infolist()]}"
                )
            member = members[0]
            temp_dir.mkdir(parents=True, exist_ok=True)
            target = temp_dir / f"{path.stem}.{os.getpid()}.csv"
            with archive.open(member) as src, target.open("wb") as dst:
                copy_fileobj_progress(src, dst, member.file_size, f"unzipping {path.name}", log)
            return target
    except (zipfile.BadZipFile, EOFError, zlib.error) as exc:
        raise LandingError(
            f"{path}: the zip archive is damaged or truncated ({exc}). Download it again; the previous data stays in place."
        ) from exc


def read_csv_header(path: Path, delimiter: str | None = None, encoding: str = "utf-8-sig") -> tuple[list[str], str]:
    """The header line's column names and its delimiter (given, or the commonest of , ; tab | outside quotes). Only
    the header line is decoded: a bad byte further down is the row reader's to quarantine, not a reason to refuse."""
    if encoding.lower().startswith("utf-16"):  # a two-byte encoding: a line cannot be read as bytes
        with path.open("r", encoding=encoding, newline="") as fh:
            first = fh.readline()
    else:
        with path.open("rb") as fh:
            raw = fh.readline(1 << 20)
        try:
            first = raw.decode(encoding)
        except UnicodeDecodeError as exc:
            raise LandingError(
                f"{path}: line 1 (the header) is not valid {encoding} text: byte 0x{raw[exc.start]:02x} at position "
                f"{exc.start + 1} cannot be decoded (encoding). The file is expected in UTF-8: download it again, or "
                f"convert it to UTF-8.") from exc
    if not first.strip():
        raise LandingError(f"{path}: the file is empty (no header line)")
    if delimiter is None:
        unquoted = re.sub(r'"[^"]*"', "", first)
        delimiter = max([",", ";", "\t", "|"], key=unquoted.count)
    header = next(csv.reader(io.StringIO(first), delimiter=delimiter))
    return [h.replace("\ufeff", "").strip() for h in header], delimiter


def _match_columns(path: Path, header: list[str], spec: TableSpec) -> tuple[dict[str, str], list[str], list[str]]:
    """Map file header -> canonical names; return (mapping, unknown extra columns, missing optional columns)."""
    canon = {(c.lower() if spec.case_insensitive_header else c): c for c in spec.columns}
    mapping: dict[str, str] = {}
    extras: list[str] = []
    for name in header:
        key = name.lower() if spec.case_insensitive_header else name
        if key in canon and canon[key] not in mapping.values():
            mapping[name] = canon[key]
        else:
            extras.append(name)
    found = set(mapping.values())
    missing_required = sorted(spec.required - found)
    if missing_required:
        raise LandingError(
            f"{path}: missing required column(s) {', '.join(missing_required)}. "
            f"The file has: {', '.join(header[:60])}. Check that this is the right file and that it was not cut."
        )
    missing_optional = [c for c in spec.columns if c not in found]
    return mapping, extras, missing_optional


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _sql_str(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def land_file(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    spec: TableSpec,
    *,
    temp_dir: Path,
    force: bool = False,
    enforce_national_minimum: bool = False,
    log: Log = logger.info,
) -> LandingResult:
    """Land `path` into `raw.<spec.table>`; unknown columns go to `raw.<table>__extra_columns`, rejected rows to
    `quarantine.<table>`. Raises LandingError (unreadable file) or GateError (row-count gate); either way the live
    tables are untouched. An unchanged file (same SHA-256 as the live load) is not landed again unless `force`."""
    started = time.monotonic()
    started_at = dt.datetime.now()
    path = Path(path)
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise LandingError(f"{path}: unsupported format {path.suffix!r}; expected one of {', '.join(FORMATS)}")
    if not path.is_file():
        raise LandingError(f"{path}: file not found")

    con.execute("create schema if not exists raw")
    con.execute("create schema if not exists quarantine")
    con.execute(LOAD_LOG_DDL)
    loading = f"{spec.table}__loading"
    for leftover in (loading, f"{spec.table}__extra_columns__loading"):
        _drop_relation(con, "raw", leftover)  # debris of an interrupted load
    con.execute(f"drop table if exists quarantine.{loading}")

    size = path.stat().st_size
    log(f"hashing {path.name} ({size / 1e6:,.1f} MB)")
    sha = file_sha256(path)
    live = table_exists(con, "raw", spec.table)
    previous_rows = con.execute(f"select count(*) from raw.{spec.table}").fetchone()[0] if live else None
    last = con.execute(
        "select file_sha256, rows_loaded, rows_quarantined from raw._load_log where table_name = ? "
        "order by finished_at desc limit 1",
        [spec.table],
    ).fetchone()
    if live and last and last[0] == sha and not force:
        log(f"{path.name} is unchanged since the last load (sha256 {sha[:12]}…): raw.{spec.table} kept as it is")
        return LandingResult(spec.table, path, fmt, size, sha, last[1], last[2], previous_rows,
                             unchanged=True, duration_s=time.monotonic() - started)

    extracted: Path | None = None
    try:
        read_path = path
        if fmt == "zip":
            extracted = _unzip_single_csv(path, temp_dir, log)
            read_path = extracted
        if fmt == "parquet":
            stored = stored_parquet_dir(con, temp_dir) / f"{spec.table}-{sha[:16]}.parquet"
            rows_quarantined, extras, missing = _load_parquet(con, path, read_path, spec, loading, log, stored, sha)
        else:
            rows_quarantined, extras, missing = _load_csv(con, path, read_path, spec, loading, log)
    finally:
        if extracted is not None:
            extracted.unlink(missing_ok=True)

    rows = con.execute(f"select count(*) from raw.{loading}").fetchone()[0]
    if extras:
        log(f"{path.name}: unknown column(s) kept aside in raw.{spec.table}__extra_columns: {', '.join(extras)}")
    if missing:
        log(f"{path.name}: optional column(s) absent, left empty: {', '.join(missing)}")
    if rows_quarantined:
        log(f"{path.name}: {rows_quarantined:,} row(s) rejected, see quarantine.{spec.table}")

    try:
        if previous_rows and rows < MIN_SHARE_OF_PREVIOUS_LOAD * previous_rows and not force:
            raise GateError(
                f"{path}: {rows:,} rows is below {MIN_SHARE_OF_PREVIOUS_LOAD:.0%} of the {previous_rows:,} rows "
                f"already in raw.{spec.table}; the previous load stays in place. If the drop is real, reload with force."
            )
        if enforce_national_minimum and spec.national_minimum_rows and rows < spec.national_minimum_rows:
            raise GateError(
                f"{path}: {rows:,} rows is below the national minimum of {spec.national_minimum_rows:,} for "
                f"raw.{spec.table}; is this the full national file? The previous load stays in place."
            )
    except GateError:
        _drop_loading(con, spec)
        _remove_unused_stored_files(con, stored_parquet_dir(con, temp_dir), spec.table)
        raise

    _swap_in(con, path, fmt, size, sha, spec, rows, rows_quarantined, previous_rows, extras, missing, started_at)
    _remove_unused_stored_files(con, stored_parquet_dir(con, temp_dir), spec.table)
    duration = time.monotonic() - started
    log(f"landed {rows:,} rows from {path.name} into raw.{spec.table} in {duration:.1f} s "
        f"({rows / max(duration, 1e-9):,.0f} rows/s)")
    return LandingResult(spec.table, path, fmt, size, sha, rows, rows_quarantined, previous_rows,
                         extras, missing, duration_s=duration)


def _drop_relation(con: duckdb.DuckDBPyConnection, schema: str, name: str) -> None:
    """Drop a table or a view (a parquet source lands as a view over its stored copy)."""
    kind = con.execute("select table_type from information_schema.tables where table_schema = ? and table_name = ?",
                       [schema, name]).fetchone()
    if kind:
        con.execute(f"drop {'view' if kind[0] == 'VIEW' else 'table'} {schema}.{name}")


def stored_parquet_dir(con: duckdb.DuckDBPyConnection, temp_dir: Path) -> Path:
    """Where parquet sources are kept for the raw views that read them: `<warehouse file>.raw_files/`, one folder per
    warehouse, so that two warehouses side by side never share (or clean up) each other's files."""
    path = con.execute("select path from duckdb_databases() where database_name = current_database()").fetchone()[0]
    return Path(f"{path}.raw_files") if path else temp_dir / "raw_files"


def ensure_table(con: duckdb.DuckDBPyConnection, spec: TableSpec) -> bool:
    """Create `raw.<table>` empty when its source was never landed, so the models downstream run and are empty
    (a missing optional source is not an error). Returns True when it created the table."""
    con.execute("create schema if not exists raw")
    if table_exists(con, "raw", spec.table):
        return False
    columns = ", ".join(f"{_quote(n)} {t}" for n, t in spec.columns.items())
    con.execute(f"create table raw.{spec.table} ({columns})")
    return True


def _select_list(spec: TableSpec, mapping: dict[str, str]) -> list[str]:
    by_canon = {v: k for k, v in mapping.items()}
    return [
        f"{_quote(by_canon[name])} as {_quote(name)}" if name in by_canon else f"cast(null as {dtype}) as {_quote(name)}"
        for name, dtype in spec.columns.items()
    ]


def _load_csv(con, path: Path, read_path: Path, spec: TableSpec, loading: str, log: Log):
    header, delimiter = read_csv_header(read_path, spec.delimiter)
    mapping, extras, missing = _match_columns(path, header, spec)
    types = {name: (spec.columns[mapping[name]] if name in mapping else "VARCHAR") for name in header}
    if len(set(header)) != len(header):
        raise LandingError(f"{path}: duplicate column names in the header: {header}")
    columns_sql = "{" + ", ".join(f"{_sql_str(n)}: {_sql_str(t)}" for n, t in types.items()) + "}"
    rejects = f"rejects_{spec.table}"
    con.execute(f"drop table if exists {rejects}")
    con.execute(f"drop table if exists {rejects}_scan")
    source = (
        f"read_csv({_sql_str(str(read_path))}, header = true, auto_detect = false, delim = {_sql_str(delimiter)}, "
        f"quote = '\"', escape = '\"', columns = {columns_sql}, dateformat = '%Y-%m-%d', "
        f"store_rejects = true, rejects_table = '{rejects}', rejects_scan = '{rejects}_scan', "
        f"rejects_limit = 0, encoding = 'utf-8')"
    )
    select = _select_list(spec, mapping)
    extra_select = [_quote(e) for e in extras]
    with progress(con, f"landing {path.name}", log):
        con.execute(f"create table raw.{loading} as select {', '.join(select + extra_select)} from {source}")
    # One row per rejected line (DuckDB reports one error per line and column; keep the first reason).
    con.execute(
        f"""create table quarantine.{loading} as
        select {_sql_str(path.name)} as source_file, line as source_line,
               string_agg(distinct lower(replace(error_type::varchar, '_', ' '))
                          || coalesce(' in column ' || column_name, '') || ': ' || error_message, ' | ') as reason,
               any_value(csv_line) as raw_line, now()::timestamp as quarantined_at
        from {rejects} group by line"""
    )
    rows_quarantined = con.execute(f"select count(*) from quarantine.{loading}").fetchone()[0]
    _split_extras(con, spec, loading, extras)
    return rows_quarantined, extras, missing


def _verified_copy(source: Path, target: Path, sha: str) -> None:
    """Copy `source` to `target` (read-only), hashing as it goes; a file that changed since it was hashed is refused
    (it was being written, or edited, while it was landed)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    staged = target.with_name(f".{target.name}.{os.getpid()}.part")
    digest = hashlib.sha256()
    try:
        with source.open("rb") as src, staged.open("wb") as dst:
            while chunk := src.read(8 << 20):
                digest.update(chunk)
                dst.write(chunk)
        if digest.hexdigest() != sha:
            raise LandingError(f"{source}: the file changed while it was being landed (its SHA-256 is no longer the "
                               f"one read at the start); wait until it is written whole, then land it again.")
        staged.chmod(0o444)
        os.replace(staged, target)
    finally:
        staged.unlink(missing_ok=True)


def _load_parquet(con, path: Path, read_path: Path, spec: TableSpec, loading: str, log: Log, stored: Path,
                  sha: str):
    try:
        described = con.execute(
            f"describe select * from read_parquet({_sql_str(str(read_path))})"
        ).fetchall()
    except duckdb.Error as exc:
        raise LandingError(f"{path}: not a readable parquet file ({exc}). Download it again.") from exc
    header = [r[0] for r in described]
    file_types = {r[0]: r[1] for r in described}
    mapping, extras, missing = _match_columns(path, header, spec)
    by_canon = {v: k for k, v in mapping.items()}
    select, checks = [], []
    for name, dtype in spec.columns.items():
        if name not in by_canon:
            select.append(f"cast(null as {dtype}) as {_quote(name)}")
            continue
        src = _quote(by_canon[name])
        if _same_type(file_types[by_canon[name]], dtype):
            select.append(f"{src} as {_quote(name)}")
        elif _widens(file_types[by_canon[name]], dtype):  # e.g. INTEGER into BIGINT: cannot fail
            select.append(f"cast({src} as {dtype}) as {_quote(name)}")
        else:
            select.append(f"try_cast({src} as {dtype}) as {_quote(name)}")
            checks.append(
                f"case when {src} is not null and try_cast({src} as {dtype}) is null "
                f"then 'CAST in column {name}: cannot read ' || {src}::varchar || ' as {dtype}' end"
            )
    extra_select = [_quote(e) for e in extras]
    source = f"read_parquet({_sql_str(str(read_path))})"
    con.execute(f"create table quarantine.{loading} (source_file varchar, source_line bigint, reason varchar, "
                f"raw_line varchar, quarantined_at timestamp)")
    if not checks and not extras:
        # The usual case, the published types: nothing to reject, and DuckDB reads parquet as fast as its own
        # tables. The warehouse keeps its own read-only copy beside it, checked against the landed file's SHA-256
        # (never a link: a user overwriting or truncating the landing file must not change the live table), and the
        # raw table is a view on it.
        if not stored.exists():
            _verified_copy(read_path, stored, sha)
        con.execute(f"create view raw.{loading} as select {', '.join(select)} "
                    f"from read_parquet({_sql_str(str(stored))})")
        return 0, extras, missing
    if not checks:
        with progress(con, f"landing {path.name}", log):
            con.execute(f"create table raw.{loading} as select {', '.join(select + extra_select)} from {source}")
        _split_extras(con, spec, loading, extras)
        return 0, extras, missing
    # Some column needs a cast: cast once into a scratch table, then split good rows from rejected ones.
    reason = f"nullif(concat_ws(' | ', {', '.join(checks)}), '')"
    with progress(con, f"landing {path.name}", log):
        con.execute(f"create temp table parquet_cast as select {', '.join(select + extra_select)}, "
                    f"{reason} as _reject_reason, file_row_number + 1 as _row "
                    f"from read_parquet({_sql_str(str(read_path))}, file_row_number = true)")
    con.execute(f"""insert into quarantine.{loading}
        select {_sql_str(path.name)}, _row, _reject_reason, null, now()::timestamp
        from parquet_cast where _reject_reason is not null""")
    con.execute(f"create table raw.{loading} as select * exclude (_reject_reason, _row) from parquet_cast "
                f"where _reject_reason is null")
    con.execute("drop table parquet_cast")
    rows_quarantined = con.execute(f"select count(*) from quarantine.{loading}").fetchone()[0]
    _split_extras(con, spec, loading, extras)
    return rows_quarantined, extras, missing


def _widens(file_type: str, wanted: str) -> bool:
    integers = ["TINYINT", "SMALLINT", "INTEGER", "BIGINT"]
    file_type, wanted = file_type.upper(), wanted.upper()
    if file_type in integers and wanted in integers:
        return integers.index(file_type) <= integers.index(wanted)
    return (file_type, wanted) in {("FLOAT", "DOUBLE"), ("DATE", "TIMESTAMP")} or (
        file_type in integers and wanted == "DOUBLE")


def _same_type(file_type: str, wanted: str) -> bool:
    aliases = {"DATETIME": "TIMESTAMP", "INT64": "BIGINT", "BOOL": "BOOLEAN", "STRING": "VARCHAR"}
    return aliases.get(file_type.upper(), file_type.upper()) == aliases.get(wanted.upper(), wanted.upper())


def _remove_unused_stored_files(con, folder: Path, table: str) -> None:
    """Delete the stored parquet copies of `table` that no raw view reads any more."""
    if not folder.is_dir():
        return
    in_use = " ".join(sql or "" for (sql,) in con.execute("select sql from duckdb_views()").fetchall())
    for stored in folder.glob(f"{table}-*.parquet"):
        if str(stored) not in in_use:
            stored.unlink(missing_ok=True)


def _split_extras(con, spec: TableSpec, loading: str, extras: list[str]) -> None:
    """Unknown columns (INSEE adds some between versions) are kept aside, keyed by the row's identifier."""
    if not extras:
        return
    cols = ", ".join(_quote(e) for e in extras)
    con.execute(
        f"create table raw.{spec.table}__extra_columns__loading as select {_quote(spec.key)}, {cols} from raw.{loading}"
    )
    for extra in extras:
        con.execute(f"alter table raw.{loading} drop column {_quote(extra)}")


def _drop_loading(con, spec: TableSpec) -> None:
    _drop_relation(con, "raw", f"{spec.table}__loading")
    con.execute(f"drop table if exists raw.{spec.table}__extra_columns__loading")
    con.execute(f"drop table if exists quarantine.{spec.table}__loading")


def _swap_in(con, path, fmt, size, sha, spec, rows, rows_quarantined, previous_rows, extras, missing, started_at):
    """Replace the live tables in one transaction: readers see the old load or the new one, never a mix."""
    t = spec.table
    has_extras = table_exists(con, "raw", f"{t}__extra_columns__loading")
    con.execute("begin transaction")
    try:
        _drop_relation(con, "raw", t)
        loading_is_view = con.execute(
            "select table_type = 'VIEW' from information_schema.tables where table_schema = 'raw' and table_name = ?",
            [f"{t}__loading"]).fetchone()[0]
        con.execute(f"alter {'view' if loading_is_view else 'table'} raw.{t}__loading rename to {t}")
        con.execute(f"drop table if exists raw.{t}__extra_columns")
        if has_extras:
            con.execute(f"alter table raw.{t}__extra_columns__loading rename to {t}__extra_columns")
        con.execute(f"drop table if exists quarantine.{t}")
        con.execute(f"alter table quarantine.{t}__loading rename to {t}")
        con.execute(
            "insert into raw._load_log values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, now()::timestamp)",
            [t, path.name, str(path), fmt, size, sha, rows, rows_quarantined, previous_rows, extras, missing,
             started_at],
        )
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise


def copy_fileobj_progress(src, dst, total: int | None, label: str, log: Log) -> int:
    """Copy with a log line every 10 %: used by the downloader and the zip writer."""
    written, next_report = 0, 0.1
    while chunk := src.read(16 << 20):
        dst.write(chunk)
        written += len(chunk)
        if total and written / total >= next_report:
            log(f"{label}: {written / total:.0%} of {total / 1e6:,.0f} MB")
            next_report += 0.1
    return written

