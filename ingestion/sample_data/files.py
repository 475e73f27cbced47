"""File writers shared by the generators: CSV through DuckDB's COPY (optionally with a BOM) and zip archives."""

from __future__ import annotations

import zipfile
from pathlib import Path

import duckdb

from ingestion.landing import copy_fileobj_progress
from ingestion.warehouse import Log


def write_csv_table(con: duckdb.DuckDBPyConnection, query: str, target: Path, *, delimiter: str = ",",
                    bom: bool = False, timestamp_format: str | None = None) -> Path:
    options = f"header, delimiter '{delimiter}'"
    if timestamp_format:
        options += f", timestampformat '{timestamp_format}'"
    plain = target.with_suffix(target.suffix + ".tmp") if bom else target
    con.execute(f"copy ({query}) to '{plain}' ({options})")
    if bom:
        with plain.open("rb") as src, target.open("wb") as dst:
            dst.write("\ufeff".encode("utf-8"))
            copy_fileobj_progress(src, dst, None, "", lambda _: None)
        plain.unlink()
    return target


def transcode(source: Path, target: Path, encoding: str) -> Path:
    """Rewrite a UTF-8 file in another encoding (Windows-1252 for an Excel-on-Windows export), then drop the source."""
    with source.open("r", encoding="utf-8", newline="") as src, target.open("w", encoding=encoding, newline="") as dst:
        while chunk := src.read(1 << 20):
            dst.write(chunk)
    source.unlink()
    return target


def zip_file(source: Path, target: Path, log: Log) -> Path:
    """One CSV in a deflated archive, as INSEE publishes the stock (level 1: national scale in about a minute)."""
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        with source.open("rb") as src, archive.open(source.name, "w", force_zip64=True) as dst:
            copy_fileobj_progress(src, dst, source.stat().st_size, f"zipping {source.name}", log)
    return target
