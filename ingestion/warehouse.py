"""Connections to the DuckDB warehouse with bounded memory, and progress reporting for long queries."""

from __future__ import annotations

import contextlib
import logging
import re
import shutil
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import duckdb

from ingestion.settings import Settings, load_settings

Log = Callable[[str], None]
logger = logging.getLogger("ingestion")


def connection_config(settings: Settings) -> dict:
    """DuckDB settings shared by every writer (ingestion here, Dagster's DuckDBResource): bounded memory, spilling
    to a folder beside the warehouse."""
    settings.temp_dir.mkdir(parents=True, exist_ok=True)
    config = {
        "memory_limit": settings.duckdb_memory_limit,
        "temp_directory": str(settings.temp_dir),
        # Row order of a landed table carries no meaning; dropping it lets DuckDB stream with less memory.
        "preserve_insertion_order": False,
    }
    if settings.duckdb_compression != "auto":
        config["force_compression"] = settings.duckdb_compression
    if settings.duckdb_threads:
        config["threads"] = settings.duckdb_threads
    return config


class WarehouseBusyError(RuntimeError):
    """Another process holds the warehouse for writing; the message says who and what to do."""


# How long a writer waits for another one to let go of the warehouse before giving up with a sentence.
WAIT_FOR_WAREHOUSE_S = 120.0


def open_warehouse(path: str, config: dict, read_only: bool = False, wait_s: float = WAIT_FOR_WAREHOUSE_S,
                   log: Log = logger.info) -> duckdb.DuckDBPyConnection:
    """duckdb.connect, waiting up to `wait_s` while another process holds the file's lock (a run, an analyst's dbt,
    a tool that opened it for writing); then a WarehouseBusyError that names the holder instead of DuckDB's lock
    message."""
    deadline = time.monotonic() + wait_s
    delay, told = 1.0, False
    while True:
        try:
            con = duckdb.connect(path, read_only=read_only, config=config)
            if not read_only and config.get("temp_directory"):
                # holding the writer's lock, no other run is alive: whatever a killed one left there is debris
                clear_temp_directory(Path(config["temp_directory"]), log)
            return con
        except duckdb.IOException as exc:
            text = str(exc)
            if "lock" not in text.lower():
                raise
            holder = re.search(r"PID (\d+)", text)
            who = f"process {holder.group(1)}" if holder else "another process"
            if time.monotonic() + delay > deadline:
                raise WarehouseBusyError(
                    f"The warehouse {path} is in use by {who} (another run, a dbt command, or a tool that opened it "
                    f"for writing); waited {wait_s:.0f} s. Let it finish and start again; BI tools should read "
                    f"the published copy (LEADS_PUBLISH_DIR/leads.duckdb), never the warehouse.") from None
            if not told:
                log(f"the warehouse {path} is in use by {who}: waiting for it (up to {wait_s:.0f} s)")
                told = True
            time.sleep(delay)
            delay = min(delay * 2, 10.0)


def clear_temp_directory(folder: Path, log: Log = logger.info) -> None:
    """Remove what a killed run left in the warehouse's temporary folder (an unpacked stock, DuckDB's spill files,
    CSV copies of spreadsheets): about 9 GB at national scale, never needed again."""
    if not folder.is_dir():
        return
    removed, size = 0, 0
    for entry in folder.iterdir():
        try:
            if entry.is_dir() and not entry.is_symlink():
                size += sum(f.stat().st_size for f in entry.rglob("*") if f.is_file())
                shutil.rmtree(entry)
            else:
                size += entry.lstat().st_size
                entry.unlink()
            removed += 1
        except OSError:
            continue
    if removed:
        log(f"removed {removed} leftover temporary file(s) ({size / 1e9:.1f} GB) from {folder}")


def connect(settings: Settings | None = None, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """Open the warehouse with the shared settings."""
    settings = settings or load_settings()
    settings.local_dir.mkdir(parents=True, exist_ok=True)
    return open_warehouse(str(settings.duckdb_path), connection_config(settings), read_only=read_only)


@contextlib.contextmanager
def progress(con: duckdb.DuckDBPyConnection, label: str, log: Log, every_s: float = 15.0) -> Iterator[None]:
    """Log the percentage of the running query every `every_s` seconds (shown in the terminal and Dagster's logs)."""
    done = threading.Event()
    started = time.monotonic()
    try:  # DuckDB tracks a query's progress only with its progress bar on (not printed here)
        con.execute("set enable_progress_bar = true")
        con.execute("set enable_progress_bar_print = false")
    except duckdb.Error:
        pass

    def watch() -> None:
        while not done.wait(every_s):
            try:
                pct = con.query_progress()
            except duckdb.Error:
                pct = None
            elapsed = time.monotonic() - started
            log(f"{label}: {pct:.0f}% after {elapsed:.0f} s" if pct and pct > 0
                else f"{label}: still running after {elapsed:.0f} s")

    thread = threading.Thread(target=watch, daemon=True)
    thread.start()
    try:
        yield
    finally:
        done.set()
        thread.join()


def table_exists(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> bool:
    return bool(
        con.execute(
            "select count(*) from information_schema.tables where table_schema = ? and table_name = ?",
            [schema, table],
        ).fetchone()[0]
    )
