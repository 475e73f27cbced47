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

The other way, for the Python steps that read what dbt built (the matching tier, the predictive model, the checks, the
publication): dbt on Spark writes its tables as Parquet folders under lake/warehouse/<schema>.db/<table>, and
`attach_spark_tables` declares each as a view of the same name in the DuckDB warehouse, so those steps read
`marts.qualified_leads` alike on both engines. Dagster does both around each dbt step when LEADS_ENGINE=spark
(orchestration/assets/dbt.py).

    uv run python -m ingestion.lake            # after landing: export raw.*, matching.*, predictions.* to the lake
    uv run python -m ingestion.lake --attach   # after dbt on Spark: its tables as views in the DuckDB warehouse
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
# the schemas dbt builds (seeds and models), read back from Spark's warehouse folder
DBT_SCHEMAS = ("reference", "scoring", "staging", "intermediate", "marts")


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
        # Spark's on-run-start hook declares a table not exported yet (the matching tier's before its first run) over
        # its folder, and Spark creates that folder, empty: nothing to lose, the export takes its place
        if any(link.rglob("*.parquet")):
            raise RuntimeError(f"{link} is a folder of Parquet files, not the link this module keeps: move it away "
                               "and export again")
        shutil.rmtree(link)
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


def attach_spark_tables(con: duckdb.DuckDBPyConnection, lake: Path | None = None,
                        log=print) -> dict[str, Path]:
    """Each table dbt built on Spark (a Parquet folder lake/warehouse/<schema>.db/<table>, partition folders included)
    as a view of the same name in the DuckDB warehouse; {schema.table: folder}. A dbt relation of the DuckDB engine
    of the same name (a table, when the warehouse was built on DuckDB before) is replaced: it is derived data, dbt on
    DuckDB builds it again. A Spark table without any Parquet file (Spark writes none for an empty partitioned table)
    gets no view, and a view of a table Spark no longer has is dropped. Spark's views have no files: the models the
    Python steps read are tables on Spark."""
    lake = lake or lake_dir()
    existing = dict(con.execute(
        "select table_schema || '.' || table_name, table_type from information_schema.tables "
        f"where table_schema in ({', '.join(repr(s) for s in DBT_SCHEMAS)}) and table_catalog = current_database()"
    ).fetchall())
    attached: dict[str, Path] = {}
    for schema in DBT_SCHEMAS:
        folder = lake / "warehouse" / f"{schema}.db"
        for table in sorted(folder.iterdir()) if folder.is_dir() else []:
            if not table.is_dir() or next(table.rglob("*.parquet"), None) is None:
                continue
            name = f"{schema}.{table.name}"
            con.execute(f'create schema if not exists "{schema}"')
            if existing.get(name) == "BASE TABLE":
                con.execute(f'drop table "{schema}"."{table.name}"')
            files = str(table / "**" / "*.parquet").replace("'", "''")
            con.execute(f'create or replace view "{schema}"."{table.name}" as select * '
                        f"from read_parquet('{files}', hive_partitioning = true, union_by_name = true)")
            attached[name] = table
    for name, kind in existing.items():
        if kind == "VIEW" and name not in attached and _reads_the_lake(con, name, lake):
            schema, table = name.split(".", 1)
            con.execute(f'drop view "{schema}"."{table}"')
    log(f"lake: {len(attached)} tables dbt built on Spark readable from DuckDB")
    return attached


def _reads_the_lake(con: duckdb.DuckDBPyConnection, name: str, lake: Path) -> bool:
    """The view was declared by attach_spark_tables (its SQL reads Spark's warehouse folder)."""
    schema, table = name.split(".", 1)
    [(sql,)] = con.execute("select sql from duckdb_views() where schema_name = ? and view_name = ? "
                           "and database_name = current_database()", [schema, table]).fetchall()
    return str(lake / "warehouse") in (sql or "")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--warehouse", type=Path, default=None, help="default LEADS_DUCKDB_PATH")
    parser.add_argument("--attach", action="store_true",
                        help="declare the tables dbt built on Spark as views in the DuckDB warehouse")
    args = parser.parse_args(argv)
    path = args.warehouse or load_settings().duckdb_path
    if args.attach:
        with duckdb.connect(str(path)) as con:
            attach_spark_tables(con, log=lambda line: print(line, file=sys.stderr))
        return 0
    with duckdb.connect(str(path), read_only=True) as con:
        written = export_landed_tables(con)
    print(f"{len(written)} tables written to {lake_dir()}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
