"""Run a job of the pipeline from the terminal, as `make run` and `make materialize` do:

    uv run python -m orchestration.materialize [--job all_assets|daily_refresh|weekly_backtest]

The run is a Dagster run like any other (it shows in the UI's run list, tagged trigger=terminal), executed in this
process. The terminal gets one line per phase (orchestration.progress); Dagster's full log, dbt's output and any
warning go to data/logs/<job>-<time>.log, whose path is printed first. The summary (publication.summary) ends it.
Exit status 1 when the run failed, with the step and the log to read.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO

JOBS = ("all_assets", "daily_refresh", "weekly_backtest")


@contextlib.contextmanager
def output_to(log_path: Path) -> Iterator[TextIO]:
    """Send this process's stdout and stderr, and its children's, to `log_path`; yield the terminal."""
    sys.stdout.flush()
    sys.stderr.flush()
    saved_out, saved_err = os.dup(1), os.dup(2)
    terminal = os.fdopen(os.dup(1), "w", buffering=1)
    log = open(log_path, "a", buffering=1, encoding="utf-8")
    os.dup2(log.fileno(), 1)
    os.dup2(log.fileno(), 2)
    python_out, python_err = sys.stdout, sys.stderr
    sys.stdout = sys.stderr = log
    try:
        yield terminal
    finally:
        sys.stdout.flush()
        sys.stdout, sys.stderr = python_out, python_err
        os.dup2(saved_out, 1)
        os.dup2(saved_err, 2)
        os.close(saved_out)
        os.close(saved_err)
        log.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--job", choices=JOBS, default="all_assets")
    args = parser.parse_args(argv)

    from ingestion.settings import load_settings
    from orchestration import progress

    settings = load_settings()
    settings.log_dir.mkdir(parents=True, exist_ok=True)
    log_path = settings.log_dir / f"{args.job}-{dt.datetime.now():%Y%m%d-%H%M%S}.log"
    terminal = progress.Progress(sys.stdout)
    terminal.line(f"Running the {args.job} job; full log: {log_path}")
    terminal.line("Loading the pipeline (on a fresh clone dbt first parses the project: about a minute)…")
    with output_to(log_path) as stream:
        terminal.stream = stream
        progress.TERMINAL = terminal
        sys.stdout = progress.TeeToLog(sys.stdout, terminal)  # dagster-dbt re-prints dbt's lines on stdout
        try:
            import dagster as dg

            from orchestration.definitions import defs

            job = defs.resolve_job_def(args.job)
            terminal.line(f"Pipeline loaded: {len(job.asset_layer.executable_asset_keys)} assets to materialise")
            with dg.DagsterInstance.get() as instance:
                result = job.execute_in_process(
                    instance=instance, raise_on_error=False, tags={"trigger": "terminal"},
                    run_config={"loggers": {"console": {"config": {"log_level": "DEBUG"}}, "progress": {}}})
        except Exception as error:  # the definitions did not load: the log has the traceback
            import traceback

            traceback.print_exc()
            terminal.line(f"could not start the run: {error}")
            terminal.line(f"the full traceback is in {log_path}")
            return 1
        finally:
            progress.TERMINAL = None
    from publication.summary import main as summary

    if not result.success:
        summary()
        terminal.line(f"the run failed (run {result.run_id}): what the warehouse held before it is above, unchanged "
                      f"where the run stopped. Read the failed step in {log_path}, or in the UI (make dev, then Runs).")
        return 1
    terminal.line(f"run {result.run_id} succeeded" + (f", with {len(terminal.failed_checks)} failed check(s)"
                                                       if terminal.failed_checks else ""))
    return summary()


if __name__ == "__main__":
    sys.exit(main())
