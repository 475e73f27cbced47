"""Scoring and qualification on the generated data: the rules a salesperson relies on, checked against the marts the
shared warehouse holds, the Dagster metadata of the marts, an analyst's change of a setting, and byte-identical
reruns. The rules themselves are pinned by dbt unit tests (dbt_project/models/**/_*.yml) that run in every build."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest
from conftest import run_dbt

MARTS = ["qualified_leads", "account_scores", "target_accounts", "lead_status_history"]


def test_every_lead_once_with_every_status_present(read_warehouse):
    leads, distinct, people = read_warehouse.execute("""
        select count(*), count(distinct lead_id), (select count(*) from intermediate.int_crm__people)
        from marts.qualified_leads""").fetchone()
    assert leads == distinct == people > 500
    statuses = dict(read_warehouse.execute(
        "select status, count(*) from marts.qualified_leads group by status").fetchall())
    assert set(statuses) == {"lead", "mql", "sql", "disqualified"}, statuses
    assert all(count >= 5 for count in statuses.values()), statuses


def test_three_pricing_views_in_a_week_count_as_buying_intent(read_warehouse):
    # Recomputed here from the event table, independently of the dbt model: people with three pricing-page views
    # within seven days in the scoring window (90 days before as-of).
    bursts = {row[0] for row in read_warehouse.execute("""
        with views as (
            select email, occurred_at,
                   lead(occurred_at, 2) over (partition by email order by occurred_at, event_id) as third
            from intermediate.int_intent__web_events
            where is_known_person and page_path = '/tarifs' and event_type = 'page_view'
              and cast(occurred_at as date) > (select max(as_of) from marts.qualified_leads) - 90
        )
        select distinct email from views where third <= occurred_at + interval 7 day""").fetchall()}
    assert len(bursts) >= 10
    rows = read_warehouse.execute("""
        select email, bant_timing, bant_need, score_reasons like '%(intention d''achat)%'
        from marts.qualified_leads where email is not null""").fetchall()
    flagged = {email for email, _, _, reason in rows if reason}
    assert flagged == bursts
    assert all(timing and need for email, timing, need, _ in rows if email in bursts)


def test_a_ceased_company_is_disqualified_whatever_its_engagement(read_warehouse):
    rows = read_warehouse.execute("""
        select q.status, q.engagement_score, q.status_reason
        from marts.qualified_leads as q join intermediate.int_companies as c using (siren)
        where not c.is_active""").fetchall()
    assert len(rows) >= 20 and any(engagement > 30 for _, engagement, _ in rows)
    assert {status for status, _, _ in rows} == {"disqualified"}
    assert all(reason == "Disqualifié : l'entreprise a cessé son activité (SIRENE)" for _, _, reason in rows)


def test_sales_marking_a_person_unqualified_wins_over_any_score(read_warehouse):
    rows = read_warehouse.execute("""
        select status, lead_status from marts.qualified_leads as q
        join intermediate.int_crm__people as p on p.person_key = q.lead_id
        where p.lead_status in ('UNQUALIFIED', 'Unqualified', 'Non qualifié')""").fetchall()
    assert len(rows) >= 20 and {status for status, _ in rows} == {"disqualified"}


def test_bodacc_collective_proceedings_disqualify_the_company_and_its_leads(read_warehouse):
    leads = read_warehouse.execute("""
        select q.status from marts.qualified_leads as q
        join intermediate.int_intent__bodacc_events as b on b.siren = q.siren and b.is_disqualifying""").fetchall()
    assert leads and {status for (status,) in leads} == {"disqualified"}


def test_opted_out_or_unsubscribed_people_stay_scored_but_are_not_contactable(read_warehouse):
    rows = read_warehouse.execute("""
        select q.contactable, q.not_contactable_reason, q.lead_score, q.status
        from marts.qualified_leads as q
        where q.email in (select email from intermediate.int_intent__email_events
                          where event in ('unsubscribe', 'bounce', 'spamreport'))
           or q.lead_id in (select person_key from intermediate.int_crm__people where email_opt_out)""").fetchall()
    assert len(rows) >= 20
    assert not any(contactable for contactable, *_ in rows)
    assert all(reason for _, reason, _, _ in rows)
    assert any(status == "sql" for *_, status in rows), "an opted-out SQL stays SQL"


def test_every_nonzero_score_is_explained_with_its_points(read_warehouse):
    rows = read_warehouse.execute("""
        select fit_score, engagement_score, intent_score, score_reasons from marts.qualified_leads""").fetchall()
    for fit, engagement, intent, reasons in rows:
        fit_part, engagement_part, intent_part, status_part = reasons.split(" | ")
        assert fit_part.startswith(f"Profil {fit} :") and engagement_part.startswith(f"Engagement {engagement} :")
        assert intent_part.startswith(f"Intention {intent} :") and status_part
        for score, part in ((fit, fit_part), (engagement, engagement_part), (intent, intent_part)):
            assert (score == 0) or "(+" in part


def test_target_accounts_are_active_published_companies_outside_the_crm(read_warehouse):
    count, bad = read_warehouse.execute("""
        select count(*),
               count(*) filter (where not c.is_active or not c.is_diffusible or c.is_individual_entrepreneur
                                or t.siren in (select siren from intermediate.int_crm__company_matches
                                               where siren is not null)
                                or t.company_name like '%[ND]%')
        from marts.target_accounts as t join intermediate.int_companies as c using (siren)""").fetchone()
    assert count >= 50 and bad == 0
    ranks = [r for (r,) in read_warehouse.execute("select target_rank from marts.target_accounts order by 1").fetchall()]
    assert ranks == list(range(1, count + 1))


def test_account_scores_roll_up_the_companies_the_crm_and_feeds_touch(read_warehouse):
    crm_sirens, accounts, in_crm = read_warehouse.execute("""
        select (select count(distinct siren) from marts.qualified_leads where siren is not null),
               count(*), count(*) filter (where in_crm)
        from marts.account_scores""").fetchone()
    assert in_crm == crm_sirens and accounts > in_crm


def test_history_records_first_mql_and_sql_dates(read_warehouse):
    rows = read_warehouse.execute("""
        select status, mql_at, sql_at, as_of from marts.qualified_leads""").fetchall()
    for status, mql_at, sql_at, as_of in rows:
        if status == "sql":
            assert sql_at == as_of and mql_at == as_of
        elif status == "mql":
            assert mql_at == as_of and sql_at is None
    history = read_warehouse.execute("select count(*) from marts.lead_status_history").fetchone()[0]
    assert history == len(rows)


def test_marts_carry_status_counts_and_top_leads_in_dagster(warehouse):
    metadata = {e.asset_key.to_user_string(): e.materialization.metadata
                for e in warehouse["result"].get_asset_materialization_events()}
    leads = metadata["marts/qualified_leads"]
    counts = leads["status_counts"].value
    assert set(counts) == {"sql", "mql", "lead", "disqualified"} and sum(counts.values()) == leads["rows"].value
    top = leads["top_10_leads"].value
    assert top.startswith("| lead_id |") and len(top.splitlines()) == 12
    # no name, address or company reaches Dagster's event log, which an erasure request cannot reach
    with duckdb.connect(str(warehouse["path"]), read_only=True) as con:
        people = con.execute("""select first_name, last_name, email, company_name from marts.qualified_leads
                                where lead_id in (select unnest(?))""",
                             [[line.split("|")[1].strip() for line in top.splitlines()[2:]]]).fetchall()
    assert len(people) == 10
    for values in people:
        assert not any(v and len(v) > 3 and f" {v} " in top for v in values), values
    assert "| rank |" in metadata["marts/target_accounts"]["top_10_targets"].value
    assert "lead score" in leads["lead_score_distribution"].value


# --- reruns on a copy of the shared warehouse -------------------------------------------------------------------

def _fingerprint(db: Path) -> dict[str, tuple]:
    with duckdb.connect(str(db), read_only=True) as con:
        return {mart: con.execute(f"select count(*), sum(hash(t)) from marts.{mart} as t").fetchone()
                for mart in MARTS}


@pytest.fixture(scope="module")
def warehouse_copy(warehouse, tmp_path_factory):
    folder = tmp_path_factory.mktemp("rerun")
    db = folder / "warehouse.duckdb"
    shutil.copy(warehouse["path"], db)
    return db, folder / "target"


def test_same_inputs_and_as_of_give_identical_marts(warehouse_copy):
    db, target = warehouse_copy
    before = _fingerprint(db)
    run_dbt(["run", "--select", "int_companies__fit+", "int_scoring__job_titles+"], db, target)
    assert _fingerprint(db) == before


def test_an_analyst_lowers_the_mql_threshold_in_one_setting_and_gets_more_mqls(warehouse_copy):
    db, target = warehouse_copy
    with duckdb.connect(str(db), read_only=True) as con:
        before = con.execute("select count(*) from marts.qualified_leads where status = 'mql'").fetchone()[0]
    run_dbt(["run", "--select", "int_leads__qualification+", "--vars", "{mql_threshold: 20}"], db, target)
    with duckdb.connect(str(db), read_only=True) as con:
        after, reason = con.execute("""
            select count(*), min(status_reason) from marts.qualified_leads
            where status = 'mql' and status_reason like 'MQL : le score%'""").fetchone()
    assert after > before and reason.endswith("seuil MQL de 20")
