"""Nothing already landed is lost, whatever arrives: a CRM snapshot with an export missing, cut or landed twice is
refused and the last one stays; a lead missing from a snapshot keeps its status history, which only an erasure
request removes; a request file as people write it (Windows-1252, French headers) is applied."""

from __future__ import annotations

import hashlib
import shutil

import duckdb
import pytest

from conftest import NEXT_DAY, copy_real, run_dbt
from ingestion.crm import land_crm
from ingestion.landing import GateError, LandingError

HUBSPOT = ["hubspot/hubspot-crm-exports-all-contacts-2026-02-27.csv",
           "hubspot/hubspot-crm-exports-all-companies-2026-02-27.csv",
           "hubspot/hubspot-crm-exports-all-deals-2026-02-27.csv"]


def _land(con, crm, tmp_path, **kwargs):
    return land_crm(con, crm, temp_dir=tmp_path / "tmp", log=lambda _: None, **kwargs)


def test_a_missing_crm_export_is_refused_and_the_last_snapshot_stays(tmp_path):
    crm = copy_real(tmp_path, {"crm": HUBSPOT}) / "crm"
    with duckdb.connect() as con:
        _land(con, crm, tmp_path)
        before = con.execute("select count(*) from raw.crm_records").fetchone()[0]
        # the contacts were exported as .numbers, or not at all: the snapshot would have no contacts
        (crm / "hubspot-crm-exports-all-contacts-2026-02-27.csv").unlink()
        with pytest.raises(GateError, match=r"hubspot contacts: 0 records in crm/ against 7 .*force: true"):
            _land(con, crm, tmp_path)
        assert con.execute("select count(*) from raw.crm_records").fetchone()[0] == before
        # a real drop, confirmed
        result = _land(con, crm, tmp_path, force=True)
        assert "hubspot_contacts" not in result.rows_by_object


def test_a_cut_export_is_refused(tmp_path):
    crm = copy_real(tmp_path, {"crm": HUBSPOT}) / "crm"
    contacts = crm / "hubspot-crm-exports-all-contacts-2026-02-27.csv"
    with duckdb.connect() as con:
        _land(con, crm, tmp_path)
        lines = contacts.read_text(encoding="utf-8").splitlines()
        contacts.write_text("\n".join(lines[:3]) + "\n", encoding="utf-8")  # the download stopped after 2 records
        with pytest.raises(GateError, match="2 records in crm/ against 7"):
            _land(con, crm, tmp_path)


def test_the_same_export_landed_twice_is_refused_naming_both_files(tmp_path):
    crm = copy_real(tmp_path, {"crm": HUBSPOT}) / "crm"
    shutil.copy(crm / "hubspot-crm-exports-all-contacts-2026-02-27.csv",
                crm / "hubspot-crm-exports-all-contacts-2026-02-27 (1).csv")
    with duckdb.connect() as con, pytest.raises(LandingError) as err:
        _land(con, crm, tmp_path)
    assert "hubspot-crm-exports-all-contacts-2026-02-27 (1).csv and " in str(err.value) or \
        "2026-02-27.csv and hubspot-crm-exports-all-contacts-2026-02-27 (1).csv" in str(err.value)
    assert "landed twice" in str(err.value)


def test_a_present_but_unread_crm_file_is_an_error_not_ignored(tmp_path):
    crm = copy_real(tmp_path, {"crm": HUBSPOT}) / "crm"
    (crm / "contacts.numbers").write_bytes(b"\x00\x01")
    with duckdb.connect() as con, pytest.raises(LandingError, match=r"contacts\.numbers: not a format"):
        _land(con, crm, tmp_path)


def test_erasure_requests_in_windows_1252_with_french_headers_are_applied(tmp_path):
    crm = copy_real(tmp_path, {"crm": HUBSPOT}) / "crm"
    (crm / "erasure_requests.csv").write_bytes("Adresse e-mail;Date de la demande\r\n"
                                               "Hélène.Dubois@SocieteGenerale.com;24/02/2026\r\n".encode("cp1252"))
    with duckdb.connect() as con:
        result = _land(con, crm, tmp_path)
        assert result.erasure_requests == 1
        # kept as the hash of the address as read (accents kept, lower-cased), never as the address
        assert con.execute("select email_sha256, requested_at::varchar from raw.crm_erasure_requests").fetchall() == [
            (hashlib.sha256("hélène.dubois@societegenerale.com".encode()).hexdigest(), "2026-02-24")]
    # the address as typed matches the CRM's once both are lower-cased (accents kept)
    (crm / "erasure_requests.csv").write_bytes("Adresse e-mail;Date de la demande\r\n"
                                               "helene.dubois@societegenerale.com;24/02/2026\r\n".encode("cp1252"))
    with duckdb.connect() as con:
        _land(con, crm, tmp_path)
        assert con.execute("select count(*) from raw.crm_records where lower(value) = "
                           "'helene.dubois@societegenerale.com'").fetchone()[0] == 0


def test_an_erasure_file_without_an_email_column_says_so(tmp_path):
    crm = copy_real(tmp_path, {"crm": HUBSPOT}) / "crm"
    (crm / "erasure_requests.csv").write_text("nom,date\nDubois,2026-02-24\n", encoding="utf-8")
    with duckdb.connect() as con, pytest.raises(LandingError, match="erasure_requests.csv: no e-mail column"):
        _land(con, crm, tmp_path)


def test_a_lead_missing_from_a_snapshot_keeps_its_history_which_only_erasure_removes(warehouse_copy, tmp_path):
    log = "intermediate.int_leads__status_changes"
    with duckdb.connect(str(warehouse_copy)) as con:
        lead, email = con.execute(f"""select l.lead_id, p.email from {log} as l
                                      join intermediate.int_crm__people as p on p.person_key = l.lead_id
                                      where p.email is not null order by l.lead_id limit 1""").fetchone()
        kept = con.execute(f"select count(*) from {log} where lead_id = ?", [lead]).fetchone()[0]
        # the next CRM export does not have the person (deleted in the CRM, or a partial export forced through)
        for table in ("intermediate.int_crm__people", "intermediate.int_leads__qualification"):
            con.execute(f"delete from {table} where {'person_key' if 'people' in table else 'lead_id'} = ?", [lead])
    run_dbt(["run", "--select", "int_leads__status_changes"], warehouse_copy, tmp_path / "t1", as_of=str(NEXT_DAY))
    with duckdb.connect(str(warehouse_copy)) as con:
        assert con.execute(f"select count(*) from {log} where lead_id = ?", [lead]).fetchone()[0] == kept > 0
        con.execute("insert into raw.crm_erasure_requests (email_sha256, requested_at, source_file) "
                    "values (sha256(lower(?)), ?, 'erasure_requests.csv')", [email, NEXT_DAY])
    run_dbt(["run", "--select", "stg_crm__erasure_requests", "int_leads__status_changes"], warehouse_copy,
            tmp_path / "t2", as_of=str(NEXT_DAY))
    with duckdb.connect(str(warehouse_copy), read_only=True) as con:
        assert con.execute(f"select count(*) from {log} where lead_id = ?", [lead]).fetchone()[0] == 0


def _web_file(zone, name: str, events: list[dict]):
    import json

    folder = zone / "intent" / "web_events"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text("\n".join(json.dumps(e) for e in events) + "\n")


def test_an_event_dated_in_the_future_is_quarantined_and_counted(tmp_path):
    import datetime as dt

    from conftest import AS_OF
    from ingestion.intent import land_feed

    later = (AS_OF + dt.timedelta(days=3)).isoformat()
    _web_file(tmp_path, "day.jsonl", [
        {"event_id": "now", "occurred_at": f"{AS_OF}T10:00:00Z", "visitor_id": "v", "event_type": "page_view"},
        {"event_id": "tomorrow", "occurred_at": f"{AS_OF + dt.timedelta(days=1)}T23:00:00Z", "visitor_id": "v",
         "event_type": "page_view"},  # within the tolerance
        {"event_id": "years_ahead", "occurred_at": f"{later}T10:00:00Z", "visitor_id": "v", "event_type": "page_view"}])
    with duckdb.connect() as con:
        result = land_feed(con, tmp_path, "web_events", as_of=AS_OF, log=lambda _: None)
        assert (result.rows_loaded, result.rows_quarantined) == (2, 1)
        [(line, reason)] = con.execute("select source_line, reason from quarantine.web_events").fetchall()
    assert line == 3 and reason.startswith("dated in the future")


def test_a_duplicate_event_id_with_other_content_is_counted_in_a_check(tmp_path):
    from ingestion.intent import land_feed
    from orchestration.assets.crm_intent import intent_checks

    event = {"event_id": "e1", "occurred_at": "2026-11-20T10:00:00Z", "visitor_id": "v", "event_type": "page_view",
             "page_url": "https://x.fr/tarifs"}
    _web_file(tmp_path, "a.jsonl", [event])
    _web_file(tmp_path, "b.jsonl", [event])  # the same event sent again: not a conflict
    db = tmp_path / "w.duckdb"
    with duckdb.connect(str(db)) as con:
        land_feed(con, tmp_path, "web_events", log=lambda _: None)
    check = next(c for c in intent_checks if c.check_specs and
                 next(iter(c.check_specs)).name == "ids_repeated_with_other_content"
                 and next(iter(c.check_specs)).asset_key.path == ["raw", "web_events"])

    class _Resource:
        def get_connection(self):
            return duckdb.connect(str(db), read_only=True)

    assert check(duckdb=_Resource()).passed
    _web_file(tmp_path, "c.jsonl", [{**event, "page_url": "https://x.fr/produit"}])
    with duckdb.connect(str(db)) as con:
        land_feed(con, tmp_path, "web_events", log=lambda _: None)
    outcome = check(duckdb=_Resource())
    assert not outcome.passed and outcome.metadata["ids_with_other_content"].value == 1
    assert "a.jsonl, b.jsonl, c.jsonl" in outcome.metadata["examples"].value


def test_a_timestamp_without_an_offset_is_utc_whatever_the_host_time_zone(tmp_path):
    from ingestion.intent import land_feed

    _web_file(tmp_path, "day.jsonl", [
        {"event_id": "naive", "occurred_at": "2026-11-20T10:00:00", "visitor_id": "v", "event_type": "page_view"},
        {"event_id": "paris", "occurred_at": "2026-11-20T10:00:00+01:00", "visitor_id": "v",
         "event_type": "page_view"}])
    with duckdb.connect() as con:
        con.execute("set TimeZone = 'America/New_York'")  # what a host in New York gives DuckDB
        land_feed(con, tmp_path, "web_events", log=lambda _: None)
        stored = dict(con.execute("select event_id, occurred_at::varchar from raw.web_events").fetchall())
    assert stored == {"naive": "2026-11-20 10:00:00", "paris": "2026-11-20 09:00:00"}


def test_a_second_writer_waits_for_the_first_and_is_then_refused_with_a_sentence(tmp_path):
    import subprocess
    import sys
    import time

    from ingestion.warehouse import WarehouseBusyError, open_warehouse

    db = tmp_path / "warehouse.duckdb"
    duckdb.connect(str(db)).close()
    # another process (a run, an analyst's dbt) holds the warehouse for a few seconds
    holder = subprocess.Popen([sys.executable, "-c", f"import duckdb, time; c = duckdb.connect({str(db)!r}); "
                                                     f"print('held', flush=True); time.sleep(4)"],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        lines = []
        with pytest.raises(WarehouseBusyError) as err:
            open_warehouse(str(db), {}, wait_s=2, log=lines.append)
        assert f"in use by process {holder.pid}" in str(err.value) and "Lock" not in str(err.value)
        assert lines and "waiting" in lines[0]
        started = time.monotonic()
        open_warehouse(str(db), {}, wait_s=30, log=lambda _: None).close()  # waits until the holder exits
        assert time.monotonic() - started > 1
    finally:
        holder.kill()
        holder.wait()


def test_what_a_killed_run_left_in_the_temporary_folder_is_removed_by_the_next_writer(tmp_path):
    from ingestion.warehouse import open_warehouse

    temp = tmp_path / "tmp"
    (temp / "StockEtablissement_utf8").mkdir(parents=True)
    (temp / "StockEtablissement_utf8" / "StockEtablissement_utf8.csv").write_bytes(b"x" * 1000)  # an unpacked stock
    (temp / "duckdb_temp_storage_DEFAULT-0.tmp").write_bytes(b"y" * 10)
    lines = []
    open_warehouse(str(tmp_path / "w.duckdb"), {"temp_directory": str(temp)}, log=lines.append).close()
    assert list(temp.iterdir()) == [] and "removed 2 leftover temporary file(s)" in lines[0]
    # a reader never removes anything: a writer may be using the folder
    (temp / "in-use.csv").write_text("z")
    open_warehouse(str(tmp_path / "w.duckdb"), {"temp_directory": str(temp)}, read_only=True,
                   log=lines.append).close()
    assert (temp / "in-use.csv").exists()


def test_dbt_stops_when_the_process_that_started_it_is_killed(tmp_path):
    """A Dagster process (a run worker, a terminal's `dagster asset materialize`) killed with kill -9 while its dbt
    command computes a model: dbt stops with it instead of holding the warehouse. At national scale a model computes
    silently for minutes, so dbt cannot count on a broken pipe to notice: here it runs a query that takes minutes and
    prints nothing."""
    import os
    import signal
    import subprocess
    import sys
    import time
    from pathlib import Path

    from conftest import REPO
    from ingestion.warehouse import open_warehouse
    from orchestration.resources import DBT_BOUND_TO_ITS_RUN

    # the starter ignores SIGTERM, as some process managers start their children (and the suite's workers do): the
    # ignored signal is inherited, and dbt must still stop
    starter = ("import signal, subprocess, sys, time\n"
               "signal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
               "subprocess.Popen(sys.argv[1:], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)\n"
               "time.sleep(600)\n")
    db = tmp_path / "warehouse.duckdb"
    env = {**os.environ, "LEADS_DUCKDB_PATH": str(db),
           "LEADS_DBT_EXECUTABLE": str(Path(sys.executable).parent / "dbt")}
    parent = subprocess.Popen([sys.executable, "-c", starter, str(DBT_BOUND_TO_ITS_RUN), "show", "--inline",
                               "select count(*) as n from range(1000000000000)", "--target-path",
                               str(tmp_path / "target")], cwd=REPO / "dbt_project", env=env)

    def children() -> list[int]:
        found = []
        for entry in Path("/proc").iterdir():
            try:
                if entry.name.isdigit() and int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1]) == parent.pid:
                    found.append(int(entry.name))
            except (OSError, IndexError, ValueError):
                continue
        return found

    deadline = time.monotonic() + 60
    while not children():
        assert time.monotonic() < deadline, "dbt never started"
        time.sleep(0.1)
    dbt = children()[0]
    time.sleep(15)  # parsed, and inside the query
    assert Path(f"/proc/{dbt}").exists(), "dbt ended on its own"
    os.kill(parent.pid, signal.SIGKILL)
    parent.wait()
    # unbound, dbt would count to 10^12 for hours
    deadline = time.monotonic() + 15
    while Path(f"/proc/{dbt}").exists() and "Z" not in Path(f"/proc/{dbt}/stat").read_text().rsplit(")", 1)[1][:3]:
        assert time.monotonic() < deadline, "dbt outlived the process that started it: " + " ".join(
            line for line in Path(f"/proc/{dbt}/status").read_text().splitlines()
            if line.startswith(("State", "SigIgn", "SigBlk", "SigPnd", "ShdPnd")))
        time.sleep(0.2)
    open_warehouse(str(db), {}, wait_s=30).close()  # the next writer gets in
