"""Dagster beyond one process: the live webserver + daemon test with run, event-log and schedule storage in a real
PostgreSQL that the test starts (Debian's `postgresql`), the instance configured as orchestration/dagster.postgres.yaml
documents it. The run launched through GraphQL is queued, run by the daemon and recorded in Postgres."""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from live_dagster import REPO, _free_port, publication_while_a_reader_queries, running_dagster


def _postgres_bin() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb")) or [shutil.which("initdb") or ""]
    if not found[-1]:
        pytest.fail("PostgreSQL's server is not installed: `apt-get install postgresql` (make test does it)")
    return Path(found[-1]).parent


@pytest.fixture(scope="module")
def postgres():
    """A throwaway cluster on a free port, as the postgres user when the tests run as root (initdb refuses root)."""
    bin_dir = _postgres_bin()
    root = Path(tempfile.mkdtemp(prefix="leads-pg-"))
    data, socket_dir = root / "data", root / "socket"
    socket_dir.mkdir()
    as_user = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    if as_user:
        shutil.chown(root, "postgres")
        shutil.chown(socket_dir, "postgres")
    port = _free_port()
    subprocess.run([*as_user, str(bin_dir / "initdb"), "-D", str(data), "-U", "dagster", "--auth=trust",
                    "-E", "UTF8"], check=True, capture_output=True)
    subprocess.run([*as_user, str(bin_dir / "pg_ctl"), "-D", str(data), "-l", str(root / "server.log"), "-w", "start",
                    "-o", f"-p {port} -k {socket_dir} -c listen_addresses=127.0.0.1"], check=True, capture_output=True)
    try:
        subprocess.run([*as_user, str(bin_dir / "createdb"), "-h", "127.0.0.1", "-p", str(port), "-U", "dagster",
                        "dagster"], check=True, capture_output=True)
        yield {"host": "127.0.0.1", "port": port, "db": "dagster", "user": "dagster", "bin": bin_dir,
               "as_user": as_user}
    finally:
        subprocess.run([*as_user, str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "fast", "stop"], capture_output=True)
        shutil.rmtree(root, ignore_errors=True)


def _psql(pg: dict, sql: str) -> str:
    return subprocess.run(["psql", "-h", pg["host"], "-p", str(pg["port"]), "-U", pg["user"], "-d", pg["db"], "-At",
                           "-c", sql], check=True, capture_output=True, text=True).stdout.strip()


def test_a_live_run_is_queued_run_and_recorded_in_postgres(warehouse, postgres, tmp_path_factory):
    dagster_yaml = (REPO / "orchestration" / "dagster.yaml").read_text(encoding="utf-8") \
        + (REPO / "orchestration" / "dagster.postgres.yaml").read_text(encoding="utf-8")
    env = {"DAGSTER_PG_HOST": postgres["host"], "DAGSTER_PG_PORT": str(postgres["port"]),
           "DAGSTER_PG_DB": postgres["db"], "DAGSTER_PG_USERNAME": postgres["user"], "DAGSTER_PG_PASSWORD": ""}
    work = tmp_path_factory.mktemp("live-postgres")
    with running_dagster(warehouse, work, dagster_yaml, env) as live:
        publication_while_a_reader_queries(live)
        deadline = time.monotonic() + 60
        while _psql(postgres, "select count(*) from instigators") == "0":  # the daemon's sensors and schedules
            assert time.monotonic() < deadline, (work / "daemon.log").read_text()[-3000:]
            time.sleep(1)
    assert not list((work / "dagster_home").glob("**/*.db")), "no SQLite storage beside Postgres"
    assert _psql(postgres, "select status from runs") == "SUCCESS"
    assert int(_psql(postgres, "select count(*) from event_logs where dagster_event_type = 'ASSET_MATERIALIZATION'")) >= 2
