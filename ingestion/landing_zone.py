"""What changed in the landing zone since the last look: each file keyed by its path, size and SHA-256, so the same
file never counts twice (a touched but identical file is not a change), and files being written (`.part`, `.tmp`) or
the generator's truth (`_truth/`) are ignored. The landing sensor runs this; it is plain Python, testable alone."""

from __future__ import annotations

import fnmatch
from dataclasses import asdict, dataclass
from pathlib import Path

from ingestion.landing import file_sha256
from ingestion.warehouse import table_exists

# Which source a landed file feeds, by its path in the landing zone (first match wins).
SOURCE_PATTERNS = [
    ("sirene/updates/*", "sirene_updates"),
    ("sirene/StockUniteLegale*", "sirene_unites_legales"),
    ("sirene/StockEtablissement*", "sirene_etablissements"),
    ("inpi/*", "inpi_ratios"),
    ("crm/*", "crm"),
    ("intent/web_events/*", "web_events"),
    ("intent/email_events/*", "email_events"),
    ("intent/signals/*", "signals"),
    ("intent/bodacc/*", "bodacc"),
]
IN_PROGRESS_SUFFIXES = (".part", ".tmp", ".crdownload", ".partial")


@dataclass(frozen=True)
class FileState:
    size: int
    mtime_ns: int
    sha256: str


def source_of(relative_path: str) -> str | None:
    for pattern, source in SOURCE_PATTERNS:
        if fnmatch.fnmatch(relative_path, pattern):
            return source
    return None


def scan_landing_zone(landing_dir: Path, known: dict[str, dict]) -> tuple[dict[str, dict], dict[str, list[str]]]:
    """Compare the zone with `known` (path → FileState as a dict, from the previous scan). Returns the new state and
    the changed files by source. A file whose size and modification time are unchanged is not hashed again."""
    state: dict[str, dict] = {}
    changed: dict[str, list[str]] = {}
    if not landing_dir.is_dir():
        return state, changed
    for path in sorted(landing_dir.rglob("*")):
        if not path.is_file() or path.name.startswith(".") or path.name.endswith(IN_PROGRESS_SUFFIXES):
            continue
        relative = path.relative_to(landing_dir).as_posix()
        source = source_of(relative)
        if source is None:
            continue
        stat = path.stat()
        previous = known.get(relative)
        if previous and previous["size"] == stat.st_size and previous["mtime_ns"] == stat.st_mtime_ns:
            state[relative] = previous
            continue
        current = FileState(stat.st_size, stat.st_mtime_ns, file_sha256(path))
        state[relative] = asdict(current)
        if not previous or previous["sha256"] != current.sha256:
            changed.setdefault(source, []).append(relative)
    return state, changed


# The table of raw._load_log each source's loads are logged under (the CRM snapshot under crm_records)
LOAD_LOG_TABLES = {"crm": "crm_records"}
APPENDED_SOURCES = {"web_events", "email_events", "signals", "bodacc"}  # the others replace their table whole


def not_yet_landed(con, landing_dir: Path, changed: dict[str, list[str]],
                   state: dict[str, dict]) -> dict[str, list[str]]:
    """The changed files whose content the warehouse does not hold yet, by source, judged from raw._load_log: a feed
    file whose SHA-256 was appended before, a registry file whose SHA-256 is the last load's, or a CRM folder whose
    snapshot digest is the last load's, is already landed (a new scan after `make run`, a sensor whose cursor was
    reset)."""
    from ingestion.crm import crm_export_files, snapshot_digest

    if not table_exists(con, "raw", "_load_log"):
        return changed
    remaining: dict[str, list[str]] = {}
    for source, files in changed.items():
        table = LOAD_LOG_TABLES.get(source, source)
        if source == "crm":
            last = con.execute("select arg_max(file_sha256, finished_at) from raw._load_log where table_name = ?",
                               [table]).fetchone()[0]
            paths = crm_export_files(landing_dir / "crm")
            if last is None or not paths or snapshot_digest(paths) != last:
                remaining[source] = files
            continue
        if source in APPENDED_SOURCES:
            landed = {row[0] for row in con.execute(
                "select distinct file_sha256 from raw._load_log where table_name = ?", [table]).fetchall()}
        else:
            landed = {con.execute("select arg_max(file_sha256, finished_at) from raw._load_log where table_name = ?",
                                  [table]).fetchone()[0]}
        new = [f for f in files if state[f]["sha256"] not in landed]
        if new:
            remaining[source] = new
    return remaining
