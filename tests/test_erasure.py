"""Erasure requests: a person who asks to be forgotten disappears from every table — raw, quarantine, models, marts,
the status log and the publication — on the next run, and stays gone when the same files are landed again."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import shutil
from pathlib import Path

import duckdb
import pytest

from conftest import AS_OF
from privacy.erasure import apply_erasure_requests


def _tables_mentioning(con: duckdb.DuckDBPyConnection, needle: str, catalog: str) -> list[str]:
    """Every table and column (text) of a database where `needle` occurs, case-insensitively."""
    columns = con.execute("""
        select table_schema, table_name, column_name from information_schema.columns
        where table_catalog = ? and data_type = 'VARCHAR'""", [catalog]).fetchall()
    return [f"{schema}.{table}.{column}" for schema, table, column in columns
            if con.execute(f'select count(*) from {catalog}."{schema}"."{table}" where contains(lower("{column}"), ?)',
                           [needle]).fetchone()[0]]


def test_erasure_removes_the_person_their_visitor_id_and_quarantined_lines():
    con = duckdb.connect()
    con.execute("create schema raw; create schema quarantine")
    con.execute("""create table raw.crm_erasure_requests as
                   select sha256('anne@x.fr') as email_sha256, date '2026-11-20' as requested_at""")
    con.execute("""create table raw.crm_records as select * from (values
        ('hubspot', 'contacts', 'contacts.csv', 1, 'Email', 'Anne@X.fr'), ('hubspot', 'contacts', 'contacts.csv', 1,
         'First Name', 'Anne'), ('hubspot', 'contacts', 'contacts.csv', 2, 'Email', 'paul@y.fr'))
        t(crm_source, object_type, source_file, record_number, header, value)""")
    con.execute("""create table raw.web_events as select * from (values
        ('e1', 'v1', null), ('e2', 'v1', 'anne@x.fr'), ('e3', 'v2', null), ('e4', null, 'ANNE@x.fr'))
        t(event_id, visitor_id, email)""")
    con.execute("create table raw.email_events as select 'anne@x.fr' as email union all select 'paul@y.fr'")
    con.execute("create table raw.signals as select 'anne@x.fr' as person_email union all select null")
    con.execute("""create table quarantine.web_events as select * from (values
        ('{"email": "anne@x.fr", "occurred_at": "yesterday"}'), ('{"email": "paul@y.fr"}')) t(raw_line)""")
    deleted = apply_erasure_requests(con, log=lambda _: None)
    assert deleted["raw.crm_records"] == 2 and deleted["raw.web_events"] == 3
    assert con.execute("select event_id from raw.web_events").fetchall() == [("e3",)], "anonymous visits of v1 too"
    assert con.execute("select count(*) from raw.email_events").fetchone()[0] == 1
    assert con.execute("select count(*) from raw.signals").fetchone()[0] == 1
    assert con.execute("select raw_line from quarantine.web_events").fetchall() == [('{"email": "paul@y.fr"}',)]


def _uncompressed_copy(source: Path, target: Path) -> None:
    """The warehouse copied with its strings stored as they are: DuckDB compresses strings (FSST), which would hide an
    address from a search of the file's bytes whether it was erased or not."""
    with duckdb.connect(config={"force_compression": "uncompressed"}) as con:
        con.execute(f"attach '{source}' as source (read_only)")
        con.execute(f"attach '{target}' as target")
        con.execute("copy from database source to target")


@pytest.fixture(scope="module")
def erased_run(warehouse, tmp_path_factory):
    """The day after the shared run: one more person asks to be forgotten; everything is materialised again, with the
    warehouse's strings uncompressed and a Dagster instance kept on disk, so that both can be searched byte by
    byte."""
    import dagster as dg

    with duckdb.connect(str(warehouse["path"]), read_only=True) as con:
        # someone with behaviour, a status and a published row
        email, lead_id = con.execute("""
            select q.email, q.lead_id from marts.qualified_leads q
            where q.engagement_score > 20
              and sha256(q.email) not in (select email_sha256 from raw.crm_erasure_requests)
            order by q.lead_id limit 1""").fetchone()
    work = tmp_path_factory.mktemp("erasure")
    zone, db, published = work / "landing", work / "warehouse.duckdb", work / "published"
    dagster_home = work / "dagster_home"
    dagster_home.mkdir()
    shutil.copytree(warehouse["zone"], zone)
    _uncompressed_copy(warehouse["path"], db)
    before = db.read_bytes()
    shutil.copytree(warehouse["published"], published)
    with (zone / "crm" / "erasure_requests.csv").open("a") as requests:
        requests.write(f"{email.upper()},{AS_OF}\n")
    env = {"LEADS_LANDING_DIR": str(zone), "LEADS_DUCKDB_PATH": str(db), "LEADS_AS_OF": AS_OF.isoformat(),
           "LEADS_PUBLISH_DIR": str(published), "LEADS_DUCKDB_COMPRESSION": "uncompressed"}
    with pytest.MonkeyPatch.context() as mp:
        for key, value in env.items():
            mp.setenv(key, value)
        from ingestion.settings import load_settings
        from orchestration.definitions import ALL_ASSETS, ALL_CHECKS
        from orchestration.resources import build_resources

        with dg.DagsterInstance.local_temp(str(dagster_home)) as instance:
            result = dg.materialize([*ALL_ASSETS, *ALL_CHECKS], resources=build_resources(load_settings()),
                                    instance=instance)
    # the file as the run left it (a later test of this module lands a feed again into it)
    return {"email": email, "lead_id": lead_id, "db": db, "published": published, "zone": zone,
            "before": warehouse["path"], "bytes_before": before, "bytes_after": db.read_bytes(),
            "leftovers": sorted(f.name for f in db.parent.iterdir() if f.name.startswith(db.name + ".")),
            "dagster_home": dagster_home, "result": result}


def _files_containing(folder: Path, needle: bytes) -> list[str]:
    return sorted(str(f.relative_to(folder)) for f in folder.rglob("*")
                  if f.is_file() and needle in f.read_bytes().lower())


def test_the_person_was_everywhere_before_the_request(erased_run):
    with duckdb.connect(str(erased_run["before"]), read_only=True) as con:
        found = _tables_mentioning(con, erased_run["email"], "warehouse")
    assert {"raw.crm_records.value", "raw.web_events.email", "marts.qualified_leads.email"} <= set(found)


def test_an_erased_person_is_gone_from_every_table_on_the_next_run(erased_run):
    assert erased_run["result"].success
    email, lead_id = erased_run["email"], erased_run["lead_id"]
    with duckdb.connect(str(erased_run["db"]), read_only=True) as con:
        found = _tables_mentioning(con, email, "warehouse")
        # the request list keeps the address's hash only
        assert found == []
        assert _tables_mentioning(con, lead_id.lower(), "warehouse") == []
        assert con.execute("select count(*) from intermediate.int_leads__status_changes where lead_id = ?",
                           [lead_id]).fetchone()[0] == 0


def test_an_erased_person_is_gone_from_the_publication(erased_run):
    email = erased_run["email"]
    with duckdb.connect(str(erased_run["published"] / "leads.duckdb"), read_only=True) as con:
        assert _tables_mentioning(con, email, "leads") == []
        for parquet in Path(erased_run["published"], "parquet").glob("*.parquet"):
            assert con.execute(f"select count(*) from read_parquet('{parquet}') t where contains(lower(t::varchar), ?)",
                               [email]).fetchone()[0] == 0


def test_a_re_sent_feed_file_does_not_bring_the_person_back(erased_run):
    from ingestion.intent import land_feed

    with duckdb.connect(str(erased_run["db"])) as con:
        land_feed(con, erased_run["zone"], "web_events", force=True, log=lambda _: None)
        assert _tables_mentioning(con, erased_run["email"], "warehouse") == []


def test_an_erased_address_is_gone_from_the_warehouse_file_bytes(erased_run):
    needle = erased_run["email"].lower().encode()
    assert needle in erased_run["bytes_before"].lower(), "the search must see the address before the request"
    assert erased_run["result"].success
    assert needle not in erased_run["bytes_after"].lower(), "the deleted rows' bytes are still in the file"
    assert erased_run["leftovers"] == [], "no WAL or half-written copy is left beside the warehouse"
    with duckdb.connect(str(erased_run["db"]), read_only=True) as con:
        assert con.execute("select count(*) from raw.crm_erasure_requests "
                           "where erased_from_disk_at is null").fetchone()[0] == 0


def test_the_dagster_storage_never_holds_an_address(erased_run):
    """Run metadata and logs name no person, erased or not: nothing there has to be erased later."""
    home = erased_run["dagster_home"]
    # the search sees what the runs wrote: asset keys and log lines are there
    assert _files_containing(home, b"qualified_leads")
    with duckdb.connect(str(erased_run["before"]), read_only=True) as con:
        people = {e for (e,) in con.execute("select lower(email) from marts.qualified_leads "
                                            "where email is not null").fetchall()}
    written = {match.decode(errors="replace") for f in home.rglob("*") if f.is_file()
               for match in re.findall(rb"[a-z0-9._%+-]+@[a-z0-9-]+(?:\.[a-z0-9-]+)+", f.read_bytes().lower())}
    assert erased_run["email"] in people
    assert sorted(people & written) == []


def test_a_warehouse_that_kept_addresses_in_clear_keeps_only_their_hashes():
    from privacy.erasure import create_erasure_requests_table

    con = duckdb.connect()
    con.execute("create schema raw")
    con.execute("""create table raw.crm_erasure_requests as select * from (values
        ('anne@x.fr', date '2026-11-20', 'erasure_requests.csv'), ('', null, 'erasure_requests.csv'))
        t(email, requested_at, source_file)""")
    create_erasure_requests_table(con)
    assert con.execute("select * from raw.crm_erasure_requests").fetchall() == [
        (hashlib.sha256(b"anne@x.fr").hexdigest(), dt.date(2026, 11, 20), "erasure_requests.csv", None)]


def test_the_file_is_not_rewritten_while_an_event_log_still_holds_a_pending_person(tmp_path):
    """The event logs delete the rows of pending requests only; a rewrite before they ran (a manual materialisation
    of the rewrite alone) would mark the request done with the events still in the file."""
    from privacy.erasure import create_erasure_requests_table, rewrite_warehouse_file

    path = tmp_path / "warehouse.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute("create schema raw; create schema intermediate")
        create_erasure_requests_table(con)
        con.execute("insert into raw.crm_erasure_requests values (sha256('anne@x.fr'), date '2026-11-20', 'f', null)")
        con.execute("create table intermediate.int_intent__web_event_log as select 'Anne@x.fr ' as email")
    before = path.read_bytes()
    with pytest.raises(RuntimeError, match="int_intent__web_event_log still holds events of 1 address"):
        rewrite_warehouse_file(path, {})
    assert path.read_bytes() == before
    with duckdb.connect(str(path)) as con:
        con.execute("delete from intermediate.int_intent__web_event_log")
    assert rewrite_warehouse_file(path, {}).requests == 1
    with duckdb.connect(str(path), read_only=True) as con:
        assert con.execute("select count(*) from raw.crm_erasure_requests where erased_from_disk_at is null").fetchone()[0] == 0
