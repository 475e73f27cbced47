"""The real thing: `dagster-webserver` and `dagster-daemon` as processes on localhost with their own DAGSTER_HOME, runs
launched through the GraphQL API and executed by the daemon's run queue, while a BI-like reader keeps querying the
published file from another process. A run killed mid-way leaves the publication untouched, and the next run
recovers."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest

from live_dagster import PUBLICATION, REPO, publication_while_a_reader_queries, running_dagster


@pytest.fixture(scope="module")
def live(warehouse, tmp_path_factory):
    dagster_yaml = (REPO / "orchestration" / "dagster.yaml").read_text(encoding="utf-8")
    with running_dagster(warehouse, tmp_path_factory.mktemp("live"), dagster_yaml) as live:
        yield live


def test_a_run_launched_through_graphql_succeeds_while_a_reader_queries_the_publication(live):
    # the publication alone: the swap the reader must never see half-done (the whole daily refresh runs in the
    # tests below)
    publication_while_a_reader_queries(live)


def test_a_run_killed_mid_way_leaves_the_publication_and_the_next_run_recovers(live):
    dagster = live["dagster"]
    database = live["published"] / "leads.duckdb"
    before = (database.stat().st_ino, (live["published"] / "publication.json").read_text())
    run_id = dagster.launch()
    # wait until the run is inside the dbt build (the landing steps are done), then stop its process the way a
    # container stop or a node drain does (SIGTERM)
    deadline = time.monotonic() + 240
    while not any(step.startswith("dbt_models") for step in dagster.steps(run_id, "IN_PROGRESS")):
        assert time.monotonic() < deadline and dagster.status(run_id) in {"QUEUED", "STARTING", "STARTED"}
        time.sleep(0.2)
    time.sleep(2)
    os.kill(dagster.worker_pid(run_id), signal.SIGTERM)
    assert dagster.wait(run_id, {"CANCELED", "FAILURE", "SUCCESS"}) in {"CANCELED", "FAILURE"}
    assert "published__leads" not in dagster.steps(run_id)
    assert (database.stat().st_ino, (live["published"] / "publication.json").read_text()) == before
    assert not list(live["published"].rglob("*.tmp"))
    recovered = dagster.launch()
    assert dagster.wait(recovered, {"SUCCESS", "FAILURE", "CANCELED"}) == "SUCCESS", \
        (live["work"] / "daemon.log").read_text()[-3000:]
    assert database.stat().st_ino != before[0]


def test_a_run_killed_with_sigkill_is_marked_failed_its_dbt_stopped_and_the_next_run_starts(live):
    """kill -9 of the run worker and of the code server that launched it, mid-way through dbt: the watchdog sensor
    marks the run failed within a minute or two, no dbt command of it is left holding the warehouse (the watchdog
    stops any), and the queued successor runs."""
    from orchestration.run_watchdog import processes_of_run

    dagster = live["dagster"]
    run_id = dagster.launch()
    deadline = time.monotonic() + 240
    while not any(step.startswith("dbt_models") for step in dagster.steps(run_id, "IN_PROGRESS")):
        assert time.monotonic() < deadline and dagster.status(run_id) in {"QUEUED", "STARTING", "STARTED"}
        time.sleep(0.2)
    deadline = time.monotonic() + 60
    while not processes_of_run(run_id):  # the dbt command has started
        assert time.monotonic() < deadline, "no dbt process carries the run id"
        time.sleep(0.2)
    # the run worker and the code server that launched it die at once (the OOM killer, kill -9 of the tree): nobody
    # is left to report the run
    worker = dagster.worker_pid(run_id)
    server = int(Path(f"/proc/{worker}/stat").read_text().rsplit(")", 1)[1].split()[1])
    os.kill(server, signal.SIGKILL)
    os.kill(worker, signal.SIGKILL)
    # queued behind the dead run; it opens the warehouse the dead run's dbt held (the publication reads it)
    successor = dagster.launch(assets=PUBLICATION)
    assert dagster.wait(run_id, {"FAILURE", "CANCELED", "SUCCESS"}, timeout=180) == "FAILURE", \
        (live["work"] / "daemon.log").read_text()[-3000:]
    assert processes_of_run(run_id) == [], "no dbt process of the dead run is left holding the warehouse"
    messages = [e.get("message") or "" for e in dagster.graphql("""query($id: ID!) { logsForRun(runId: $id) {
        ... on EventConnection { events { ... on MessageEvent { message } } } } }""", id=run_id)
        ["logsForRun"]["events"]]
    assert any(f"The run worker (pid {worker}) is gone" in m for m in messages), \
        [m for m in messages if "pid" in m or "fail" in m]
    assert dagster.wait(successor, {"SUCCESS", "FAILURE", "CANCELED"}) == "SUCCESS", \
        (live["work"] / "daemon.log").read_text()[-3000:]
