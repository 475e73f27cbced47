"""Shared fixtures: dbt parsed once per session, one generated landing zone and one materialised warehouse shared by
every test that only reads them."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SAMPLE_SCALE = 0.0003  # 8,700 legal units, 12,600 establishments: every branch occurs, the suite stays fast

# The one as-of date of the session: the sample generator dates its events back from it, the pipeline scores at it,
# and every test derives its dates and file names from it, never from the clock. LEADS_TEST_AS_OF moves it
# (`make test-calendar` runs the date-sensitive tests on other days: a month end, the first of a month).
AS_OF = dt.date.fromisoformat(os.environ.get("LEADS_TEST_AS_OF") or "2026-11-26")
NEXT_DAY = AS_OF + dt.timedelta(days=1)


def pytest_configure(config):
    # Whatever reads the settings (generator, assets, dbt subprocesses) sees the session's date, not today's.
    os.environ["LEADS_AS_OF"] = AS_OF.isoformat()
    # ... and the default language (French), whatever the shell says; tests of English set LEADS_LANGUAGE=en
    os.environ["LEADS_LANGUAGE"] = "fr"
    # Parse dbt once, before any test module imports the Dagster definitions (which read the manifest): in the
    # controlling process only when the suite runs on several workers (pytest -n), which start after it.
    if not os.environ.get("PYTEST_XDIST_WORKER"):
        subprocess.run([str(Path(sys.executable).parent / "dbt"), "parse", "--quiet"], cwd=REPO / "dbt_project",
                       check=True)


def built_once(tmp_path_factory, name: str, build) -> Path:
    """A folder that `build(folder)` fills once for the whole session, whichever worker (pytest -n) asks first: the
    others wait for it under a lock, then reuse it (pytest-xdist's recipe for session fixtures run once). Read-only
    for the tests: they copy what they change."""
    import fcntl
    import shutil

    root = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        root = root.parent  # the workers' base folders share this parent
    folder, done = root / name, root / f"{name}.built"
    with open(root / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not done.exists():
            shutil.rmtree(folder, ignore_errors=True)  # a build that failed half-way in another worker
            folder.mkdir()
            build(folder)
            done.touch()
    return folder


class BuiltRun:
    """The events of the shared materialisation, for a worker that did not run it: what the tests read of Dagster's
    ExecuteInProcessResult (same methods, same objects, read back with Dagster's own serialisation)."""

    def __init__(self, path: Path):
        from dagster import deserialize_value

        saved = json.loads(path.read_text())
        self.success = saved["success"]
        self.all_events = [deserialize_value(e) for e in saved["events"]]

    @staticmethod
    def save(result, path: Path) -> None:
        from dagster import serialize_value

        path.write_text(json.dumps({"success": result.success,
                                    "events": [serialize_value(e) for e in result.all_events]}))

    def get_asset_materialization_events(self):
        return [e for e in self.all_events if e.is_step_materialization]

    def get_asset_check_evaluations(self):
        from dagster import DagsterEventType

        return [e.event_specific_data for e in self.all_events
                if e.event_type_value == DagsterEventType.ASSET_CHECK_EVALUATION.value]


# The suite's slowest files, slowest first (one worker's seconds, measured on 2 cores: 340, 320, 300, 180, 170, 170,
# the model's sample 120):
# with `--dist loadfile --no-loadscope-reorder` (the Makefile) two workers finish close together when the long files
# start first, and the worker that builds the shared warehouse (test_incremental) starts beside one that does not need
# it (the benchmarks' smoke runs). Files not listed follow, in their usual order.
SLOWEST_FIRST = ["test_incremental.py", "test_bench_smoke.py", "test_live_dagster.py", "test_nothing_lost.py",
                 "test_real_files.py", "test_erasure.py", "test_crm_round_trip.py", "test_model_on_sample.py",
                 "test_live_dagster_postgres.py"]


def pytest_collection_modifyitems(config, items):
    rank = {name: i for i, name in enumerate(SLOWEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))  # a stable sort: each file keeps its order


@pytest.fixture(scope="session")
def sample_zone(tmp_path_factory) -> Path:
    from ingestion.sample_data.__main__ import generate

    return built_once(tmp_path_factory, "landing",
                      lambda zone: generate(zone, scale=SAMPLE_SCALE, sirene_format="zip", as_of=AS_OF))


def _materialise_everything(folder: Path, zone: Path) -> None:
    import dagster as dg

    db = folder / "warehouse.duckdb"
    env = {"LEADS_LANDING_DIR": str(zone), "LEADS_DUCKDB_PATH": str(db), "LEADS_AS_OF": AS_OF.isoformat(),
           "LEADS_PUBLISH_DIR": str(folder / "published")}
    with pytest.MonkeyPatch.context() as mp:
        for key, value in env.items():
            mp.setenv(key, value)
        from ingestion.settings import load_settings
        from orchestration.definitions import ALL_ASSETS, ALL_CHECKS
        from orchestration.resources import build_resources

        result = dg.materialize([*ALL_ASSETS, *ALL_CHECKS], resources=build_resources(load_settings()),
                                raise_on_error=False)
    BuiltRun.save(result, folder / "run_events.json")


@pytest.fixture(scope="session")
def warehouse(sample_zone, tmp_path_factory):
    """Every asset materialised once on the sample zone, in process, as `make run` does: once for the whole session,
    the workers sharing it."""
    folder = built_once(tmp_path_factory, "warehouse", lambda f: _materialise_everything(f, sample_zone))
    return {"path": folder / "warehouse.duckdb", "result": BuiltRun(folder / "run_events.json"), "zone": sample_zone,
            "published": folder / "published"}


def run_dbt(args: list[str], db: Path, target: Path, as_of: str = AS_OF.isoformat()) -> None:
    """dbt on another warehouse file (a test's copy), with its own target folder, at the suite's as-of date."""
    env = {**os.environ, "LEADS_DUCKDB_PATH": str(db), "LEADS_AS_OF": as_of}
    subprocess.run([str(Path(sys.executable).parent / "dbt"), *args, "--target-path", str(target), "--quiet"],
                   cwd=REPO / "dbt_project", env=env, check=True)


@pytest.fixture
def warehouse_copy(warehouse, tmp_path) -> Path:
    """A test's own copy of the shared warehouse, to change without disturbing the tests that only read it."""
    import shutil

    db = tmp_path / "warehouse.duckdb"
    shutil.copy(warehouse["path"], db)
    return db


@pytest.fixture
def read_warehouse(warehouse):
    import duckdb

    con = duckdb.connect(str(warehouse["path"]), read_only=True)
    yield con
    con.close()


def current_month_web_file(zone: Path) -> Path:
    """The sample zone's web-event file of the as-of month (CSV, gzipped: the generator writes the current month so)."""
    return zone / "intent" / "web_events" / f"web-{AS_OF:%Y-%m}.csv.gz"


def unix_seconds(day: dt.date) -> int:
    """Midnight UTC of `day` as SendGrid's Unix timestamp."""
    return int(dt.datetime.combine(day, dt.time(), tzinfo=dt.timezone.utc).timestamp())


REAL = REPO / "tests" / "fixtures" / "real"  # files as HubSpot, Salesforce, SendGrid, BODACC, INSEE, INPI publish them
REAL_AS_OF = dt.date(2026, 2, 27)  # the day the fixtures were exported


def copy_real(zone: Path, sources: dict[str, list[str]]) -> Path:
    """A landing zone of real-format fixture files, unrenamed: {zone folder: [fixture paths]}."""
    import shutil

    for folder, files in sources.items():
        (zone / folder).mkdir(parents=True, exist_ok=True)
        for name in files:
            shutil.copy(REAL / name, zone / folder / Path(name).name)
    return zone


REAL_ZONE = {
    "sirene": ["sirene/StockUniteLegale_2019/StockUniteLegale_utf8.csv"],
    "inpi": ["inpi/ratios_inpi_bce.csv"],
    "crm": ["hubspot/hubspot-crm-exports-all-contacts-2026-02-27.csv",
            "hubspot/hubspot-crm-exports-all-companies-2026-02-27.csv",
            "hubspot/hubspot-crm-exports-all-deals-2026-02-27.csv",
            "salesforce/Account.csv", "salesforce/Contact.csv", "salesforce/Lead.csv", "salesforce/Opportunity.csv"],
    # the same events and announcements in every format the services deliver: each lands, each counts once
    "intent/email_events": ["sendgrid/webhook-post-body.json", "sendgrid/events.jsonl", "sendgrid/events.csv"],
    "intent/bodacc": ["bodacc/exports-json.json", "bodacc/exports.jsonl", "bodacc/exports.csv",
                      "bodacc/records-response.json", "bodacc/v1-search-response.json", "bodacc/bad-jugement.jsonl"],
}


@pytest.fixture(scope="session")
def real_warehouse(tmp_path_factory):
    """Every asset materialised on a landing zone made only of files as their systems publish them."""
    import dagster as dg

    work = tmp_path_factory.mktemp("real")
    zone = copy_real(work / "landing", REAL_ZONE)
    db = work / "warehouse.duckdb"
    # the published samples' companies are real ones, mostly absent from the zone's small registry extract: the
    # blocking match-rate gate (60 % by default) would stop the publication these tests read
    env = {"LEADS_LANDING_DIR": str(zone), "LEADS_DUCKDB_PATH": str(db), "LEADS_AS_OF": REAL_AS_OF.isoformat(),
           "LEADS_PUBLISH_DIR": str(work / "published"), "LEADS_MIN_MATCH_RATE": "0"}
    with pytest.MonkeyPatch.context() as mp:
        for key, value in env.items():
            mp.setenv(key, value)
        from ingestion.settings import load_settings
        from orchestration.definitions import ALL_ASSETS, ALL_CHECKS
        from orchestration.resources import build_resources

        result = dg.materialize([*ALL_ASSETS, *ALL_CHECKS], resources=build_resources(load_settings()),
                                raise_on_error=False)
    return {"path": db, "result": result, "zone": zone, "published": work / "published"}


@pytest.fixture
def real_copy(real_warehouse, tmp_path) -> Path:
    import shutil

    db = tmp_path / "warehouse.duckdb"
    shutil.copy(real_warehouse["path"], db)
    return db
