"""What a run prints on the terminal when started by `make run` or `make materialize` (orchestration.materialize): one
line per phase — each file landed with its rows, dbt's "k of N", the publication, each failed check — while the
full log goes to a file. On a terminal dbt's count rewrites one line; elsewhere (CI, a pipe) it is plain lines, a
few per dbt step.

The `progress` logger below is declared in the Definitions; a run writes to it only when its run config names it
(the terminal runner does), so runs started from the UI or by the daemon log as Dagster always does.
"""

from __future__ import annotations

import logging
import re
import time
from typing import TextIO

import dagster as dg
from dagster._core.log_manager import LOG_RECORD_METADATA_ATTR

# dbt's own result lines, as dagster-dbt re-prints them: "13:05:04  36 of 220 OK created sql table model …"
DBT_LINE = re.compile(r"^(?:\S+\s+)?(\d+) of (\d+) (OK|PASS|WARN|ERROR|FAIL|SKIP|NO-OP)\b\s*(.*?)\s*(\[.*)?$")
PLAIN_DBT_LINES_PER_STEP = 4
# the ingestion's own progress lines on long files ("landing web-2026-11.csv.gz: 92% after 15 s"), worth a terminal line
INGESTION_PROGRESS = re.compile(r"\d+% after \d+ s")


class Progress:
    """The terminal side of a run. Writes to `stream` (the real terminal, kept aside while stdout and stderr go to
    the log file)."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.is_tty = stream.isatty()
        self.started = time.monotonic()
        self.failed_checks: list[str] = []
        self._open_line = False  # a rewritable dbt line is on screen
        self._dbt_total = 0
        self._dbt_printed = -1

    def line(self, text: str) -> None:
        if self._open_line:
            self.stream.write("\n")
            self._open_line = False
        self.stream.write(f"[{self._elapsed()}] {text}\n")
        self.stream.flush()

    def _elapsed(self) -> str:
        seconds = int(time.monotonic() - self.started)
        return f"{seconds // 60:02d}:{seconds % 60:02d}"

    def dbt_output(self, text: str) -> None:
        """A line dbt printed; its result lines move the count."""
        match = DBT_LINE.match(text.strip())
        if not match or " hook: " in text:
            return
        done, total, result, what = int(match[1]), int(match[2]), match[3], match[4]
        what = re.sub(r"\s*\.{2,}\s*$", "", what)
        if result in ("WARN", "ERROR", "FAIL"):
            self.line(f"dbt {done} of {total} {result}: {what}")
            return
        if total != self._dbt_total:  # a new dbt step
            self._dbt_total, self._dbt_printed = total, -1
        if self.is_tty:
            self.stream.write(f"\r[{self._elapsed()}] dbt {done} of {total} models and tests done: {what[:70]:<70}")
            self.stream.flush()
            self._open_line = True
            if done == total:
                self.line(f"dbt: {total} models and tests done")
            return
        step = max(total // PLAIN_DBT_LINES_PER_STEP, 1)
        if done == total or done // step > self._dbt_printed:
            self._dbt_printed = done // step
            self.line(f"dbt {done} of {total} models and tests done")

    def event(self, record: logging.LogRecord) -> None:
        meta = getattr(record, LOG_RECORD_METADATA_ATTR, None)
        event = meta.get("dagster_event") if meta else None
        if event is None:
            message = meta.get("orig_message", "") if meta else ""
            if INGESTION_PROGRESS.search(message):
                self.line(message)
            return
        kind = event.event_type_value
        if kind == "ASSET_MATERIALIZATION":
            materialization = event.event_specific_data.materialization
            text = materialized_line(materialization.asset_key.to_user_string(), materialization.metadata)
            if text:
                self.line(text)
        elif kind == "ASSET_CHECK_EVALUATION":
            evaluation = event.event_specific_data
            if not evaluation.passed:
                severity = "warning" if evaluation.severity == dg.AssetCheckSeverity.WARN else "error"
                text = f"check failed ({severity}): {evaluation.asset_key.to_user_string()} {evaluation.check_name}"
                self.failed_checks.append(text)
                self.line(text)
        elif kind == "STEP_FAILURE":
            error = event.event_specific_data.error
            message = (error.message if error else "").strip().splitlines()
            self.line(f"step {event.step_key} failed: {message[0] if message else 'see the log'}")


def _value(metadata: dict, key: str):
    value = metadata.get(key)
    return getattr(value, "value", value)


def materialized_line(asset: str, metadata: dict) -> str | None:
    """One line for an asset that landed or was published; None for a dbt model (dbt's count says those)."""
    rows = _value(metadata, "dagster/row_count")
    if asset.startswith("raw/"):
        if _value(metadata, "unchanged") is True or _value(metadata, "files_landed") == "none" \
                or _value(metadata, "files") == "unchanged":
            return f"{asset}: unchanged, {rows:,} rows kept" if isinstance(rows, int) else f"{asset}: unchanged"
        loaded = _value(metadata, "rows_loaded")
        landed = f"{loaded:,} rows landed" if isinstance(loaded, int) else "landed"
        held = f", {rows:,} in the table" if isinstance(rows, int) and rows != loaded else ""
        quarantined = _value(metadata, "rows_quarantined")
        aside = f", {quarantined:,} quarantined" if isinstance(quarantined, int) and quarantined else ""
        return f"{asset}: {landed}{held}{aside}"
    if asset == "predictions/models":  # the weekly training: each target's decision
        decisions = [f"{target} {_value(metadata, f'{target}_status')}" for target in ("opportunity", "won_deal")
                     if _value(metadata, f"{target}_status")]
        return f"{asset}: " + (", ".join(decisions) or "done")
    if asset == "predictions/lead_predictions":
        return f"{asset}: {rows:,} leads scored" if isinstance(rows, int) else f"{asset}: done"
    if asset.startswith(("published/", "matching/", "erasure/")):
        return f"{asset}: done" + (f", {rows:,} rows" if isinstance(rows, int) else "")
    return None


# The runner sets this before a run; a run that names the logger without it (none should) prints nothing.
TERMINAL: Progress | None = None


class _ToTerminal(logging.Handler):
    def emit(self, record: logging.LogRecord) -> None:
        if TERMINAL is not None:
            try:
                TERMINAL.event(record)
            except Exception:  # the terminal's summary must never fail a run
                pass


@dg.logger(description="One line per phase on the terminal that started the run (make run, make materialize).")
def progress_logger(init_context: dg.InitLoggerContext) -> logging.Logger:
    logger = logging.Logger("progress", level=logging.DEBUG)
    logger.addHandler(_ToTerminal())
    return logger


class TeeToLog:
    """Stands for sys.stdout during a run: everything goes to the log file, and dbt's lines also move the count."""

    def __init__(self, log: TextIO, progress: Progress) -> None:
        self.log, self.progress, self._partial = log, progress, ""

    def write(self, text: str) -> int:
        self.log.write(text)
        self._partial += text
        *lines, self._partial = self._partial.split("\n")
        for line in lines:
            self.progress.dbt_output(line)
        return len(text)

    def flush(self) -> None:
        self.log.flush()

    def isatty(self) -> bool:
        return False

    def fileno(self) -> int:
        return self.log.fileno()
