"""The real thing: `dagster-webserver` and `dagster-daemon` as processes on localhost with their own DAGSTER_HOME, runs
launched through the GraphQL API and executed by the daemon's run queue, while a BI-like reader keeps querying the
published file from another process. A run killed mid-way leaves the publication untouched, and the next run
recovers."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
import requests

from conftest import AS_OF

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
LOCATION = "orchestration.definitions"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Dagster:
    def __init__(self, url: str):
        self.url = url

    def graphql(self, query: str, **variables) -> dict:
        response = requests.post(f"{self.url}/graphql", json={"query": query, "variables": variables}, timeout=60)
        response.raise_for_status()
        body = response.json()
        assert "errors" not in body, body["errors"]
        return body["data"]

    def launch(self, job: str = "daily_refresh", assets: list[str] | None = None) -> str:
        """Launch `job`, or only its `assets` ("published/leads"), as the UI's Materialize button does."""
        selector = {"repositoryLocationName": LOCATION, "repositoryName": "__repository__", "jobName": job}
        if assets:
            selector |= {"assetSelection": [{"path": key.split("/")} for key in assets], "assetCheckSelection": []}
        data = self.graphql("""
            mutation($selector: JobOrPipelineSelector!) {
              launchRun(executionParams: {selector: $selector, runConfigData: {}}) {
                __typename
                ... on LaunchRunSuccess { run { runId } }
                ... on PythonError { message }
                ... on InvalidSubsetError { message }
                ... on RunConfigValidationInvalid { errors { message } }
              }
            }""", selector=selector)["launchRun"]
        assert data["__typename"] == "LaunchRunSuccess", data
        return data["run"]["runId"]

    def status(self, run_id: str) -> str:
        return self.graphql("query($id: ID!) { runOrError(runId: $id) { ... on Run { status } } }",
                            id=run_id)["runOrError"]["status"]

    def wait(self, run_id: str, until: set[str], timeout: float = 420) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            status = self.status(run_id)
            if status in until:
                return status
            time.sleep(1)
        raise AssertionError(f"run {run_id} still {status} after {timeout} s")

    def steps(self, run_id: str, status: str = "SUCCESS") -> list[str]:
        data = self.graphql("""query($id: ID!) { runOrError(runId: $id) { ... on Run {
            stepStats { stepKey status } } } }""", id=run_id)
        return [s["stepKey"] for s in data["runOrError"]["stepStats"] if s["status"] == status]

    def worker_pid(self, run_id: str) -> int | None:
        """The run worker's pid, from the engine event "Executing steps in process (pid: N)"."""
        data = self.graphql("""query($id: ID!) { logsForRun(runId: $id) { ... on EventConnection {
            events { ... on MessageEvent { message } } } } }""", id=run_id)
        for event in data["logsForRun"]["events"]:
            match = re.search(r"in process \(pid: (\d+)\)", event.get("message") or "")
            if match:
                return int(match.group(1))
        return None


@pytest.fixture(scope="module")
def live(warehouse, tmp_path_factory):
    work = tmp_path_factory.mktemp("live")
    home = work / "dagster_home"
    home.mkdir()
    shutil.copy(REPO / "orchestration" / "dagster.yaml", home / "dagster.yaml")
    published = work / "published"
    shutil.copytree(warehouse["published"], published)  # yesterday's publication, which BI tools are reading
    # and yesterday's warehouse: each run below is a daily refresh, as the schedule starts them every morning
    shutil.copy(warehouse["path"], work / "warehouse.duckdb")
    env = {**os.environ, "DAGSTER_HOME": str(home), "LEADS_LANDING_DIR": str(warehouse["zone"]),
           "LEADS_DUCKDB_PATH": str(work / "warehouse.duckdb"), "LEADS_PUBLISH_DIR": str(published),
           "LEADS_AS_OF": AS_OF.isoformat(), "LEADS_AUTOMATION": "off", "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}"}
    # create the instance's storage once, before two processes race to create it
    subprocess.run([str(BIN / "dagster"), "instance", "migrate"], cwd=REPO, env=env, check=True,
                   capture_output=True)
    port = _free_port()
    logs = {name: (work / f"{name}.log").open("w") for name in ("webserver", "daemon")}
    processes = [
        subprocess.Popen([str(BIN / "dagster-webserver"), "-w", "workspace.yaml", "-h", "127.0.0.1", "-p", str(port)],
                         cwd=REPO, env=env, stdout=logs["webserver"], stderr=subprocess.STDOUT, start_new_session=True),
        subprocess.Popen([str(BIN / "dagster-daemon"), "run", "-w", "workspace.yaml"], cwd=REPO, env=env,
                         stdout=logs["daemon"], stderr=subprocess.STDOUT, start_new_session=True),
    ]
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while True:
        try:
            if requests.get(f"{url}/server_info", timeout=2).ok:
                break
        except requests.ConnectionError:
            pass
        assert time.monotonic() < deadline, (work / "webserver.log").read_text()[-3000:]
        time.sleep(1)
    yield {"dagster": Dagster(url), "published": published, "work": work}
    for process in processes:
        os.killpg(process.pid, signal.SIGTERM)
    for process in processes:
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)


PUBLICATION = ["published/leads", "published/qualification_report"]

READER = textwrap.dedent("""
    import duckdb, json, sys, time
    path, stop = sys.argv[1], sys.argv[2]
    reads, errors, inconsistent = 0, [], 0
    import os
    while not os.path.exists(stop):
        try:  # a dashboard refreshing: open, query, close
            with duckdb.connect(path, read_only=True) as con:
                leads = con.execute("select count(*) from qualified_leads").fetchone()[0]
                summed = con.execute("select sum(leads) from status_summary").fetchone()[0]
                inconsistent += leads != summed or leads == 0
            reads += 1
        except Exception as error:
            errors.append(repr(error))
        time.sleep(0.05)
    print(json.dumps({"reads": reads, "errors": errors[:5], "inconsistent": inconsistent}))
""")


def test_a_run_launched_through_graphql_succeeds_while_a_reader_queries_the_publication(live):
    stop = live["work"] / "stop-reader"
    reader = subprocess.Popen([sys.executable, "-c", READER, str(live["published"] / "leads.duckdb"), str(stop)],
                              stdout=subprocess.PIPE, text=True)
    before = json.loads((live["published"] / "publication.json").read_text())["published_at"]
    # the publication alone: the swap the reader must never see half-done (the whole daily refresh runs in the
    # tests below)
    run_id = live["dagster"].launch(assets=PUBLICATION)
    status = live["dagster"].wait(run_id, {"SUCCESS", "FAILURE", "CANCELED"})
    stop.touch()
    report = json.loads(reader.communicate(timeout=60)[0])
    assert status == "SUCCESS", (live["work"] / "daemon.log").read_text()[-3000:]
    assert "published__leads" in live["dagster"].steps(run_id)
    assert json.loads((live["published"] / "publication.json").read_text())["published_at"] > before
    assert report["reads"] > 20 and report["errors"] == [] and report["inconsistent"] == 0, report


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
