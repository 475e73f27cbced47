"""Daily incremental runs: the next day's files land (new events, a collector's duplicate, a visitor who identifies
at last, a file re-sent with a line removed, an erasure request) and dbt processes only what changed; a full rebuild
on the same landed data gives the same tables."""

from __future__ import annotations

import gzip
import json
import shutil

import duckdb

from conftest import NEXT_DAY, current_month_web_file, run_dbt, unix_seconds
from privacy.erasure import apply_erasure_requests
from ingestion.intent import land_feed

DAY = NEXT_DAY.isoformat()  # the daily run the tests replay: the day after the warehouse's as-of date
# the event models and everything downstream of them; the status log keeps history a rebuild cannot give
SELECTION = ["int_intent__web_event_log+", "int_intent__email_event_log+", "--exclude", "int_leads__status_changes+"]
COMPARED = ["intermediate.int_intent__web_event_log", "intermediate.int_intent__email_event_log",
            "intermediate.int_intent__web_visitors", "intermediate.int_intent__web_events",
            "intermediate.int_intent__email_events", "intermediate.int_scoring__activities",
            "intermediate.int_people__engagement", "marts.qualified_leads", "marts.account_scores",
            "marts.backtest_lift"]


def _assert_same_tables(incremental_db, rebuilt_db, tables, tmp_path) -> None:
    """Every table has rows and the same rows (bookkeeping columns aside) in both warehouses."""
    # views name their catalog ("warehouse"): each file is opened under that name and its tables exported
    exported = {}
    for name, db in (("incremental", incremental_db), ("full_rebuild", rebuilt_db)):
        with duckdb.connect(str(db), read_only=True) as con:
            for table in tables:
                exported[name, table] = tmp_path / f"{name}-{table}.parquet"
                columns = [c for (c,) in con.execute(f"select column_name from (describe {table})").fetchall()
                           if c not in ("source_file", "file_sha256", "source_line", "computed_at")]
                cols = ", ".join(f'"{c}"' for c in columns)
                con.execute(f"copy (select {cols} from {table}) to '{exported[name, table]}' (format parquet)")
    with duckdb.connect() as con:
        for table in tables:
            incremental, full = (f"read_parquet('{exported[n, table]}')" for n in ("incremental", "full_rebuild"))
            counts = con.execute(f"""
                select (select count(*) from {incremental}),
                       (select count(*) from (select * from {incremental} except all select * from {full})),
                       (select count(*) from (select * from {full} except all select * from {incremental}))""").fetchone()
            assert counts[0] > 0 and counts[1:] == (0, 0), f"{table}: {counts}"


def _next_day_files(con: duckdb.DuckDBPyConnection, zone, sample_zone) -> dict:
    """Write the next day's landing zone; returns what the test expects to see."""
    person = con.execute("""select email from intermediate.int_crm__people
                            where email is not null order by person_key limit 1""").fetchone()[0]
    anonymous = con.execute("""select visitor_id from raw.web_events where visitor_id like 'a-%'
                               group by visitor_id having count(email) = 0 order by count(*) desc limit 1""").fetchone()[0]
    duplicate = con.execute("select * from raw.web_events where event_id like 'evt_p%' order by event_id limit 1").df()
    erased = con.execute("""select email from intermediate.int_intent__web_events where is_known_person
                            and email <> ? group by email order by count(*) desc limit 1""", [person]).fetchone()[0]
    web = zone / "intent" / "web_events"
    web.mkdir(parents=True)
    site = "https://www.example-saas.fr"
    lines = [
        {"event_id": "evt_day2_1", "occurred_at": f"{DAY}T08:00:00Z", "visitor_id": anonymous, "email": person,
         "event_type": "form_submit", "page_url": f"{site}/ressources/guide"},
        *({"event_id": f"evt_day2_{n}", "occurred_at": f"{DAY}T{8 + n}:00:00Z", "visitor_id": anonymous,
           "event_type": "page_view", "page_url": f"{site}/tarifs"} for n in (2, 3, 4)),
        # the collector sent an event of an earlier day again
        {k: (v.isoformat() + "Z" if k == "occurred_at" else v) for k, v in duplicate.iloc[0].items()
         if not k.startswith("_") and v is not None and v == v},
    ]
    (web / f"web-{DAY}.jsonl").write_text("\n".join(json.dumps(line) for line in lines) + "\n")
    # this month's file sent again, its first event removed: that event leaves the log
    monthly = current_month_web_file(sample_zone)
    with gzip.open(monthly, "rt", encoding="utf-8") as fh:
        header, removed_line, *rest = fh.read().splitlines()
    with gzip.open(web / monthly.name, "wt", encoding="utf-8") as fh:
        fh.write("\n".join([header, *rest]) + "\n")
    mail = zone / "intent" / "email_events"
    mail.mkdir(parents=True)
    (mail / f"sendgrid-{DAY}.jsonl").write_text(json.dumps(
        {"sg_event_id": "sg_day2_1", "email": person, "timestamp": unix_seconds(NEXT_DAY), "event": "click",
         "url": f"{site}/tarifs", "category": "produit"}) + "\n")
    # keep the other monthly files in place (same content: nothing to do for them)
    for path in (sample_zone / "intent" / "web_events").iterdir():
        if not (web / path.name).exists():
            shutil.copy(path, web / path.name)
    for path in (sample_zone / "intent" / "email_events").iterdir():
        shutil.copy(path, mail / path.name)
    return {"person": person, "anonymous": anonymous, "erased": erased,
            "removed": removed_line.split(",")[0], "duplicate": duplicate.iloc[0]["event_id"]}


def test_an_incremental_day_gives_the_tables_a_full_rebuild_gives(warehouse, warehouse_copy, tmp_path):
    zone = tmp_path / "zone"
    with duckdb.connect(str(warehouse_copy)) as con:
        expected = _next_day_files(con, zone, warehouse["zone"])
        con.execute(f"insert into raw.crm_erasure_requests (email_sha256, requested_at, source_file) "
                    f"values (sha256(lower(?)), date '{DAY}', 'erasure_requests.csv')",
                    [expected["erased"]])
        apply_erasure_requests(con)
        for feed in ("web_events", "email_events"):
            land_feed(con, zone, feed, as_of=NEXT_DAY)
    rebuilt = tmp_path / "rebuilt" / "warehouse.duckdb"
    rebuilt.parent.mkdir()
    shutil.copy(warehouse_copy, rebuilt)

    run_dbt(["build", "--select", *SELECTION], warehouse_copy, tmp_path / "target_incremental", as_of=DAY)
    run_dbt(["build", "--full-refresh", "--select", *SELECTION], rebuilt, tmp_path / "target_full", as_of=DAY)

    _assert_same_tables(warehouse_copy, rebuilt, COMPARED, tmp_path)

    with duckdb.connect(str(warehouse_copy), read_only=True) as con:
        log = "intermediate.int_intent__web_event_log"
        ids = {i for (i,) in con.execute(f"select event_id from {log}").fetchall()}
        assert {"evt_day2_1", "evt_day2_4"} <= ids, "the new day's events are in"
        assert expected["removed"] not in ids, "an event removed from a re-sent file leaves the log"
        assert con.execute(f"select count(*) from {log} where event_id = ?", [expected["duplicate"]]).fetchone()[0] == 1
        assert not con.execute(f"select count(*) from {log} where email = ?", [expected["erased"]]).fetchone()[0]
        # the visitor anonymous for months is that person now, its old visits included
        attributed = con.execute("""select count(*), count(*) filter (where is_attributed_retroactively)
                                    from intermediate.int_intent__web_events
                                    where visitor_id = ? and email = ?""",
                                 [expected["anonymous"], expected["person"]]).fetchone()
        assert attributed[0] > 4 and attributed[1] == attributed[0] - 1


REGISTRY_SELECTION = ["int_companies+", "--exclude", "int_leads__status_changes+", "int_registry__match_candidates",
                      "int_crm__companies_to_match"]
REGISTRY_COMPARED = ["intermediate.int_companies", "intermediate.int_companies__fit",
                     "intermediate.int_companies__prospects", "marts.target_accounts", "marts.qualified_leads",
                     "marts.account_scores"]


def _run_registry_incrementally_and_rebuilt(warehouse_copy, tmp_path):
    """The registry models and what reads them, run daily on the warehouse and with --full-refresh on a copy of it
    taken before; returns the copy."""
    rebuilt = tmp_path / "rebuilt" / "warehouse.duckdb"
    rebuilt.parent.mkdir()
    shutil.copy(warehouse_copy, rebuilt)
    run_dbt(["run", "--select", *REGISTRY_SELECTION], warehouse_copy, tmp_path / "target_incremental",
            as_of=DAY)
    run_dbt(["run", "--full-refresh", "--select", *REGISTRY_SELECTION], rebuilt, tmp_path / "target_full",
            as_of=DAY)
    return rebuilt


def test_a_day_of_sirene_updates_and_edited_rules_give_the_tables_a_full_rebuild_gives(warehouse_copy, tmp_path):
    from ingestion.sirene_api import land_daily_updates
    from ingestion.sources import SIRENE_ETABLISSEMENTS, SIRENE_UNITES_LEGALES

    updates = tmp_path / "updates"
    updates.mkdir()
    with duckdb.connect(str(warehouse_copy)) as con:
        ceasing, growing, moving = [r[0] for r in con.execute("""
            select siren from marts.qualified_leads where status = 'lead' and siren is not null
            group by siren order by siren limit 3""").fetchall()]
        ul = ", ".join(f'"{c}"' for c in SIRENE_UNITES_LEGALES.columns)
        etab = ", ".join(f'"{c}"' for c in SIRENE_ETABLISSEMENTS.columns)
        # yesterday INSEE recorded one company ceased, another grown to 50-99 employees, a third's siège moved
        con.execute(f"""copy (
            select {ul} from (select * replace (
                case when siren = '{ceasing}' then 'C' else etatAdministratifUniteLegale end
                    as etatAdministratifUniteLegale,
                case when siren = '{growing}' then '21' else trancheEffectifsUniteLegale end
                    as trancheEffectifsUniteLegale,
                timestamp '{DAY} 02:00:00' as dateDernierTraitementUniteLegale)
            from raw.sirene_unites_legales where siren in ('{ceasing}', '{growing}'))
        ) to '{updates / f"{DAY}_unites_legales.csv"}' (header)""")
        con.execute(f"""copy (
            select {etab} from (select * replace (
                '75056' as codeCommuneEtablissement, '75001' as codePostalEtablissement,
                timestamp '{DAY} 02:00:00' as dateDernierTraitementEtablissement)
            from raw.sirene_etablissements where siren = '{moving}' and etablissementSiege)
        ) to '{updates / f"{DAY}_etablissements.csv"}' (header)""")
        assert land_daily_updates(con, updates, log=lambda _: None) == {"unites_legales": 2, "etablissements": 1}
        # an analyst gave more points to 20-49 employees (dbt seed loads the edited file)
        con.execute("update scoring.icp_headcount_bands set points = points + 10 where headcount_band = '12'")
    rebuilt = _run_registry_incrementally_and_rebuilt(warehouse_copy, tmp_path)

    _assert_same_tables(warehouse_copy, rebuilt, REGISTRY_COMPARED, tmp_path)
    with duckdb.connect(str(warehouse_copy), read_only=True) as con:
        companies = dict(con.execute("""select siren, (is_active, headcount_band, region) from intermediate.int_companies
                                        where siren in (?, ?, ?)""", [ceasing, growing, moving]).fetchall())
        assert companies[ceasing][0] is False and companies[growing][1] == "21" and companies[moving][2] == "11"
        # only the updated companies were computed again for the registry; every company for the new rules
        recomputed = con.execute("""select count(*) from intermediate.int_companies
                                    where computed_at > (select min(computed_at) from intermediate.int_companies)""").fetchone()[0]
        assert recomputed == 3
        assert con.execute("select count(distinct computed_at) from intermediate.int_companies__fit").fetchone()[0] == 2
        assert con.execute("""select count(*) from intermediate.int_companies__fit f join scoring.icp_headcount_bands b
                              on b.headcount_band = '12' and f.headcount_points = b.points""").fetchone()[0] > 0


def test_a_target_that_ceases_leaves_the_prospects_without_rebuilding_them(warehouse_copy, tmp_path):
    """A day of SIRENE updates alone: the prospects revisit only the updated companies (the rest keep the rows of the
    first build) and a target account that ceased is gone from the prospects and the targets, as in a rebuild."""
    from ingestion.sirene_api import land_daily_updates
    from ingestion.sources import SIRENE_UNITES_LEGALES

    updates = tmp_path / "updates"
    updates.mkdir()
    with duckdb.connect(str(warehouse_copy)) as con:
        target = con.execute("select siren from marts.target_accounts order by target_rank limit 1").fetchone()[0]
        prospects = con.execute("select count(*) from intermediate.int_companies__prospects").fetchone()[0]
        ul = ", ".join(f'"{c}"' for c in SIRENE_UNITES_LEGALES.columns)
        con.execute(f"""copy (
            select {ul} from (select * replace ('C' as etatAdministratifUniteLegale,
                                               timestamp '{DAY} 02:00:00' as dateDernierTraitementUniteLegale)
            from raw.sirene_unites_legales where siren = '{target}')
        ) to '{updates / f"{DAY}_unites_legales.csv"}' (header)""")
        assert land_daily_updates(con, updates, log=lambda _: None) == {"unites_legales": 1, "etablissements": 0}
    rebuilt = _run_registry_incrementally_and_rebuilt(warehouse_copy, tmp_path)

    _assert_same_tables(warehouse_copy, rebuilt, ["intermediate.int_companies__prospects", "marts.target_accounts"],
                        tmp_path)
    with duckdb.connect(str(warehouse_copy), read_only=True) as con:
        for table in ("intermediate.int_companies__prospects", "marts.target_accounts"):
            assert con.execute(f"select count(*) from {table} where siren = ?", [target]).fetchone()[0] == 0, table
        # one row fewer, every other row kept from the first build
        assert con.execute("""select count(*), count(distinct computed_at)
                              from intermediate.int_companies__prospects""").fetchone() == (prospects - 1, 1)


def test_crm_people_are_pivoted_again_only_when_their_inputs_change(warehouse_copy, tmp_path):
    """A daily run leaves int_crm__people as it is (no CRM export, erasure or new match since it was built); an
    erasure request received since rebuilds it without the person."""
    people = "intermediate.int_crm__people"
    with duckdb.connect(str(warehouse_copy)) as con:
        first, erased = [r[0] for r in con.execute(f"""select person_key from {people} where email is not null
                                                        order by person_key limit 2""").fetchall()]
        email = con.execute(f"select email from {people} where person_key = ?", [erased]).fetchone()[0]
        # a mark only a rebuild removes
        con.execute(f"update {people} set job_title = 'left as it was' where person_key = ?", [first])

    run_dbt(["run", "--select", "int_crm__people"], warehouse_copy, tmp_path / "target", as_of=DAY)
    with duckdb.connect(str(warehouse_copy)) as con:
        assert con.execute(f"select job_title from {people} where person_key = ?", [first]).fetchone()[0] == \
            "left as it was"
        con.execute(f"insert into raw.crm_erasure_requests (email_sha256, requested_at, source_file) "
                    f"values (sha256(lower(?)), date '{DAY}', 'erasure_requests.csv')",
                    [email])

    run_dbt(["run", "--select", "int_crm__people"], warehouse_copy, tmp_path / "target", as_of=DAY)
    with duckdb.connect(str(warehouse_copy), read_only=True) as con:
        assert con.execute(f"select job_title from {people} where person_key = ?", [first]).fetchone()[0] != \
            "left as it was"
        assert con.execute(f"select count(*) from {people} where email = ?", [email]).fetchone()[0] == 0


def test_an_event_a_resent_file_drops_comes_back_from_the_later_file_that_also_held_it(warehouse, warehouse_copy,
                                                                                        tmp_path):
    """Day 1: a daily file repeats an event of last month's file (the log keeps last month's row). Day 2: last month's
    file is sent again without that event: the event stays in the log, now from the daily file — as a rebuild finds
    it — though the daily file was processed the day before."""
    sample = warehouse["zone"] / "intent" / "web_events"
    monthly = current_month_web_file(warehouse["zone"])
    with gzip.open(monthly, "rt", encoding="utf-8") as fh:
        header, first, *rest = fh.read().splitlines()
    event_id = first.split(",")[0]
    log = "intermediate.int_intent__web_event_log"
    zone = tmp_path / "zone"
    web = zone / "intent" / "web_events"
    shutil.copytree(sample, web)
    with duckdb.connect(str(warehouse_copy)) as con:
        repeated = con.execute("select * from raw.web_events where event_id = ?", [event_id]).df()
    daily = web / f"web-{DAY}.jsonl"  # the repeated event and a new one (the log then holds rows of this file)
    daily.write_text("\n".join(json.dumps(event) for event in [
        {k: (v.isoformat() + "Z" if k == "occurred_at" else v) for k, v in repeated.iloc[0].items()
         if not k.startswith("_") and v is not None and v == v},
        {"event_id": "evt_day2_new", "occurred_at": f"{DAY}T08:00:00Z", "visitor_id": "v-new",
         "event_type": "page_view", "page_url": "https://www.example-saas.fr/"}]) + "\n")

    def land_and_run(day_target: str) -> dict:
        with duckdb.connect(str(warehouse_copy)) as con:
            land_feed(con, zone, "web_events", as_of=NEXT_DAY)
        run_dbt(["run", "--select", "int_intent__web_event_log"], warehouse_copy, tmp_path / day_target, as_of=DAY)
        with duckdb.connect(str(warehouse_copy), read_only=True) as con:
            return dict(con.execute(f"select source_file, count(*) over () from {log} where event_id = ?",
                                    [event_id]).fetchall())

    assert land_and_run("target_day1") == {monthly.name: 1}
    with gzip.open(web / monthly.name, "wt", encoding="utf-8") as fh:
        fh.write("\n".join([header, *rest]) + "\n")
    assert land_and_run("target_day2") == {daily.name: 1}

    rebuilt = tmp_path / "rebuilt" / "warehouse.duckdb"
    rebuilt.parent.mkdir()
    shutil.copy(warehouse_copy, rebuilt)
    run_dbt(["run", "--full-refresh", "--select", "int_intent__web_event_log"], rebuilt, tmp_path / "target_full",
            as_of=DAY)
    _assert_same_tables(warehouse_copy, rebuilt, [log], tmp_path)


def test_units_gone_from_a_new_stock_leave_the_companies_the_fit_the_prospects_and_the_targets(warehouse_copy,
                                                                                               tmp_path):
    """A new, smaller stock lands (some units no longer in it): a daily-style incremental run leaves none of them in
    int_companies, its fit, the prospects or the target accounts, and gives the tables a full rebuild gives."""
    with duckdb.connect(str(warehouse_copy)) as con:
        gone = [s for (s,) in con.execute("select siren from marts.target_accounts order by target_rank limit 5"
                                          ).fetchall()]
        # what land_file does with a new stock: the table replaced, the landing logged
        con.execute("delete from raw.sirene_unites_legales where list_contains(?, siren)", [gone])
        con.execute("""insert into raw._load_log select * replace (now()::timestamp + interval 1 hour as finished_at)
                       from raw._load_log where table_name = 'sirene_unites_legales'
                       order by finished_at desc limit 1""")
    rebuilt = _run_registry_incrementally_and_rebuilt(warehouse_copy, tmp_path)

    _assert_same_tables(warehouse_copy, rebuilt, REGISTRY_COMPARED, tmp_path)
    with duckdb.connect(str(warehouse_copy), read_only=True) as con:
        for table in ("intermediate.int_companies", "intermediate.int_companies__fit",
                      "intermediate.int_companies__prospects", "marts.target_accounts"):
            assert con.execute(f"select count(*) from {table} where list_contains(?, siren)", [gone]
                               ).fetchone()[0] == 0, table


def test_editing_a_seed_a_model_reads_through_other_models_rebuilds_it(warehouse_copy, tmp_path):
    """The tables rebuilt whole when their rules change (the fit, the prospects, the CRM's companies, the CRM people)
    take the seeds and vars they depend on from the dbt graph, not from a list: a CRM picklist edit reaches the CRM
    people through their staging models, a geography rule reaches the fit and the tables made from it."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    from conftest import AS_OF, REPO

    project = tmp_path / "dbt_project"
    shutil.copytree(REPO / "dbt_project", project, ignore=shutil.ignore_patterns("target", "logs"))
    tables = {"intermediate.int_crm__people": "inputs_fingerprint", "intermediate.int_companies__fit": "rules_fingerprint",
              "intermediate.int_companies__in_crm": "inputs_fingerprint",
              "intermediate.int_companies__prospects": "inputs_fingerprint"}

    def fingerprints() -> dict:
        with duckdb.connect(str(warehouse_copy), read_only=True) as con:
            return {t: con.execute(f"select list(distinct {c}) from {t}").fetchone()[0] for t, c in tables.items()}

    def build() -> None:
        env = {**os.environ, "LEADS_DUCKDB_PATH": str(warehouse_copy), "LEADS_AS_OF": AS_OF.isoformat()}
        subprocess.run([str(Path(sys.executable).parent / "dbt"), "build", "--select", "crm_picklist_values",
                        "icp_geography", *(t.split(".")[1] for t in tables), "--exclude", "test_type:data",
                        "--project-dir", str(project), "--profiles-dir", str(project),
                        "--target-path", str(tmp_path / "target"), "--quiet"], env=env, check=True)

    before = fingerprints()
    build()
    assert fingerprints() == before, "unchanged rules leave the tables as they are"
    with (project / "seeds" / "crm" / "crm_picklist_values.csv").open("a", encoding="utf-8") as seed:
        seed.write("hubspot,lifecycle_stage,Prospect chaud,lead\n")
    with (project / "seeds" / "scoring" / "icp_geography.csv").open("a", encoding="utf-8") as seed:
        seed.write("departement,2A,0,est implantée en Corse-du-Sud,is based in Corse-du-Sud\n")
    build()
    after = fingerprints()
    assert [t for t in tables if after[t] == before[t]] == [], "a table kept the fingerprint of the old rules"
