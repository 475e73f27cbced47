"""The landed tables as Parquet folders, for a warehouse engine other than DuckDB (LEADS_ENGINE=spark).

DuckDB stays the file parser: landing (quarantine, gates, the load log) writes the `raw` schema of the DuckDB
warehouse as always. This module then writes each landed table, the matching tier's candidates and the predictive
model's tables (prediction/store.py), as a Parquet folder under the lake (LEADS_LAKE_DIR, default data/lake):

    lake/raw/<table>            -> a link to lake/raw/.versions/<table>-<UTC stamp>/ (the Parquet files)
    lake/matching/<table>       -> likewise
    lake/predictions/<table>    -> likewise

A table is swapped atomically: the new version is written whole beside the old one, then the link is replaced in
one rename (POSIX `rename` of a symbolic link), so a reader lists either the old files or the new ones, never a mix.
The older versions are deleted after the swap; a reader that listed them before (a Spark query already planned) can
fail and be rerun, never read a half-written table. On an object store, where no rename is atomic, point the table
at the new folder with `ALTER TABLE ... SET LOCATION` instead, or use a table format (Delta, Iceberg).

The dbt project's on-run-start hooks (macros declare_lake_tables, create_matching_source, create_prediction_sources)
declare every such folder as a Spark table of schema raw, matching or predictions, read by the sources as on DuckDB.

    uv run python -m ingestion.lake            # after landing: export raw.*, matching.*, predictions.* to the lake
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import shutil
import sys
from pathlib import Path

import duckdb

from ingestion.settings import load_settings

SCHEMAS = ("raw", "matching", "predictions")


def lake_dir() -> Path:
    """LEADS_LAKE_DIR, relative paths from the repository root (the settings' lake_dir)."""
    return load_settings().lake_dir


def export_table(con: duckdb.DuckDBPyConnection, schema: str, table: str, lake: Path) -> int:
    """Write one table as a new Parquet version and swap the table's link to it; the rows written."""
    versions = lake / schema / ".versions"
    versions.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%S%f")
    folder = versions / f"{table}-{stamp}"
    link = lake / schema / table
    if link.exists() and not link.is_symlink():
        raise RuntimeError(f"{link} is a folder, not the link this module keeps: move it away and export again")
    # one file per table: the sample and the daily tables are small, and a national stock is a few large row groups
    folder.mkdir()
    [(rows,)] = con.execute(f'copy (select * from "{schema}"."{table}") to \'{folder / "part-0.parquet"}\' '
                            "(format parquet)").fetchall()  # COPY returns the rows it wrote
    staged = lake / schema / f".{table}.link-{stamp}"
    staged.symlink_to(folder.relative_to(link.parent), target_is_directory=True)
    os.replace(staged, link)  # the swap: one rename
    for old in versions.glob(f"{table}-*"):
        if old != folder:
            shutil.rmtree(old, ignore_errors=True)
    return rows


def export_landed_tables(con: duckdb.DuckDBPyConnection, lake: Path | None = None,
                         log=print) -> dict[str, int]:
    """Every table of the exported schemas to the lake, and every view (a Parquet stock lands as a view over its stored
    copy); {schema.table: rows}."""
    lake = lake or lake_dir()
    tables = con.execute(
        "select table_schema, table_name from information_schema.tables "
        f"where table_schema in ({', '.join(repr(s) for s in SCHEMAS)}) and table_type in ('BASE TABLE', 'VIEW') "
        "and table_catalog = current_database() order by 1, 2").fetchall()
    written = {}
    for schema, table in tables:
        written[f"{schema}.{table}"] = export_table(con, schema, table, lake)
        log(f"lake: {schema}.{table}: {written[f'{schema}.{table}']:,} rows")
    # a table no longer landed (erased whole) leaves the lake too
    for schema in SCHEMAS:
        for link in (lake / schema).glob("*") if (lake / schema).exists() else []:
            if link.is_symlink() and f"{schema}.{link.name}" not in written:
                link.unlink()
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--warehouse", type=Path, default=None, help="default LEADS_DUCKDB_PATH")
    args = parser.parse_args(argv)
    path = args.warehouse or load_settings().duckdb_path
    with duckdb.connect(str(path), read_only=True) as con:
        written = export_landed_tables(con)
    print(f"{len(written)} tables written to {lake_dir()}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
