"""A run whose worker process died (kill -9, the OOM killer, a machine stop) is marked failed, and what it left
running is stopped, so the one-at-a-time queue moves on.

Dagster's run monitoring cannot see this with the default run launcher, which does not check its workers' health: a
dead run stays STARTED and the daemon launches nothing more. This sensor checks, every 30 seconds, the process each
STARTED run reported ("... process (pid: N)") and, when it is gone, stops the dbt commands the run had started (their
environment carries LEADS_RUN_ID, set by the dbt assets) and reports the run failed. It runs whatever
LEADS_AUTOMATION says: it launches nothing.
"""

from __future__ import annotations

import os
import re
import signal
import time
from pathlib import Path

import dagster as dg

RUN_ID_ENV = "LEADS_RUN_ID"
PID = re.compile(r"process(?: for run)? \(pid: (\d+)\)")


def worker_pid(instance: dg.DagsterInstance, run_id: str) -> int | None:
    """The pid the run's worker reported in its engine events; None before it has."""
    for entry in instance.all_logs(run_id, of_type=dg.DagsterEventType.ENGINE_EVENT):
        match = PID.search(entry.user_message or "")
        if match:
            return int(match.group(1))
    return None


def process_alive(pid: int) -> bool:
    """Whether the process exists and is not a zombie (a killed child its parent has not reaped yet)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return True
    return state != "Z"


def processes_of_run(run_id: str) -> list[int]:
    """Processes whose environment says they work for this run (the dbt commands of its dbt assets)."""
    marker = f"{RUN_ID_ENV}={run_id}".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            if marker in (entry / "environ").read_bytes().split(b"\0"):
                found.append(int(entry.name))
        except OSError:
            continue
    return found


def stop_processes(pids: list[int], grace_s: float = 10.0) -> None:
    for pid in pids:
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
    deadline = time.monotonic() + grace_s
    while time.monotonic() < deadline and any(process_alive(p) for p in pids):
        time.sleep(0.5)
    for pid in pids:
        if process_alive(pid):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass


@dg.sensor(name="dead_run_watchdog", minimum_interval_seconds=30, default_status=dg.DefaultSensorStatus.RUNNING,
           description="Marks failed a STARTED run whose worker process is gone (kill -9, out of memory, machine "
                       "stop) and stops the dbt commands it left running, so that the queue moves on.")
def dead_run_watchdog(context: dg.SensorEvaluationContext) -> dg.SkipReason:
    instance = context.instance
    failed = []
    for record in instance.get_run_records(filters=dg.RunsFilter(statuses=[dg.DagsterRunStatus.STARTED])):
        run = record.dagster_run
        pid = worker_pid(instance, run.run_id)
        if pid is None or process_alive(pid):
            continue
        orphans = processes_of_run(run.run_id)
        stop_processes(orphans)
        message = (f"The run worker (pid {pid}) is gone: killed, out of memory, or its machine stopped. The run is "
                   f"marked failed so that the next one can start"
                   + (f"; {len(orphans)} dbt process(es) it left running were stopped" if orphans else "")
                   + ". The warehouse and the publication are as the last completed step left them; launch the "
                     "run again.")
        instance.report_engine_event(message, run)  # in the run's own log, where whoever opens it looks
        instance.report_run_failed(run, message)
        context.log.warning(f"run {run.run_id}: {message}")
        failed.append(run.run_id)
    return dg.SkipReason(f"marked failed: {', '.join(failed)}" if failed else "every started run has its worker")
