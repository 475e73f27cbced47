"""What the live Dagster tests share: webserver and daemon started as processes on localhost, a GraphQL client,
and the publication run while a BI-like reader queries the published file."""

from __future__ import annotations

import contextlib
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




@contextlib.contextmanager
def running_dagster(warehouse, work: Path, dagster_yaml: str, extra_env: dict | None = None):
    """dagster-webserver and dagster-daemon on localhost, on a copy of the shared warehouse and publication, with
    `dagster_yaml` as the instance's settings; yields the GraphQL client, the publication folder and the work folder."""
    home = work / "dagster_home"
    home.mkdir()
    (home / "dagster.yaml").write_text(dagster_yaml, encoding="utf-8")
    published = work / "published"
    shutil.copytree(warehouse["published"], published)  # yesterday's publication, which BI tools are reading
    # and yesterday's warehouse: each run below is a daily refresh, as the schedule starts them every morning
    shutil.copy(warehouse["path"], work / "warehouse.duckdb")
    env = {**os.environ, "DAGSTER_HOME": str(home), "LEADS_LANDING_DIR": str(warehouse["zone"]),
           "LEADS_DUCKDB_PATH": str(work / "warehouse.duckdb"), "LEADS_PUBLISH_DIR": str(published),
           "LEADS_AS_OF": AS_OF.isoformat(), "LEADS_AUTOMATION": "off", "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}",
           **(extra_env or {})}
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
    try:
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
    finally:
        for process in processes:
            os.killpg(process.pid, signal.SIGTERM)
        for process in processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)


def publication_while_a_reader_queries(live) -> None:
    """The publication alone, launched through GraphQL and run by the daemon, while a BI-like reader queries the
    published file: the run succeeds and the reader never sees an error or a half-swapped file."""
    stop = live["work"] / "stop-reader"
    reader = subprocess.Popen([sys.executable, "-c", READER, str(live["published"] / "leads.duckdb"), str(stop)],
                              stdout=subprocess.PIPE, text=True)
    before = json.loads((live["published"] / "publication.json").read_text())["published_at"]
    run_id = live["dagster"].launch(assets=PUBLICATION)
    status = live["dagster"].wait(run_id, {"SUCCESS", "FAILURE", "CANCELED"})
    stop.touch()
    report = json.loads(reader.communicate(timeout=60)[0])
    assert status == "SUCCESS", (live["work"] / "daemon.log").read_text()[-3000:]
    assert "published__leads" in live["dagster"].steps(run_id)
    assert json.loads((live["published"] / "publication.json").read_text())["published_at"] > before
    assert report["reads"] > 20 and report["errors"] == [] and report["inconsistent"] == 0, report
