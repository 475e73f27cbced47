"""The CRM by API, against local stand-ins of HubSpot and Salesforce (tests/crm_api_fakes.py): the pull writes the
files the exports would be and the CRM landing lands them; the push sends only what changed, survives rate limits
and partial failures, never records what the CRM did not confirm, never sends an erased person, and never lets a
credential reach a log."""

from __future__ import annotations

import csv
import datetime as dt
import logging

import duckdb
import pytest

from crm_api_fakes import FakeHubSpot, FakeSalesforce
from crm_sync.common import CrmApiError
from crm_sync.hubspot import HubSpotApi, pull_hubspot
from crm_sync.push import push_scores
from crm_sync.salesforce import SalesforceApi, pull_salesforce
from ingestion.crm import land_crm
from ingestion.landing import LandingError

TODAY = dt.date(2026, 11, 26)
T0 = dt.datetime(2026, 11, 20, 8, 0, tzinfo=dt.timezone.utc)
HS_TOKEN = "pat-eu1-test-token"


def rows(path) -> list[dict]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


@pytest.fixture
def hubspot(httpserver) -> FakeHubSpot:
    fake = FakeHubSpot(HS_TOKEN).install(httpserver)
    for i in range(1, 151):
        fake.add("companies", str(1000 + i), {"name": f"Société {i}", "domain": f"societe{i}.fr",
                                             "siren": "552100554" if i == 1 else ""}, T0)
    for i in range(1, 251):
        cid = str(i)
        fake.add("contacts", cid, {"firstname": "Hélène" if i == 1 else f"P{i}", "lastname": "Durand",
                                   "email": f"p{i}@societe{i % 150 + 1}.fr", "jobtitle": "Directrice achats",
                                   "lifecyclestage": "lead", "hubspot_owner_id": "101"}, T0 - dt.timedelta(hours=i))
        fake.associate("contacts", cid, "companies", str(1000 + i % 150 + 1), primary=True)
        if i % 10 == 0:
            fake.associate("contacts", cid, "companies", "1001")
    fake.add("deals", "9001", {"dealname": "Licence 2027", "dealstage": "closedwon", "amount": "12000.5",
                               "closedate": "2026-10-01T00:00:00Z", "pipeline": "default"}, T0)
    fake.associate("deals", "9001", "companies", "1002", primary=True)
    fake.associate("deals", "9001", "contacts", "1")
    return fake


def hubspot_api(httpserver, **kw) -> HubSpotApi:
    return HubSpotApi(HS_TOKEN, httpserver.url_for("").rstrip("/"), backoff_factor=0, **kw)


def test_hubspot_full_then_incremental_pull_lands_as_an_export(hubspot, httpserver, tmp_path):
    crm = tmp_path / "crm"
    api = hubspot_api(httpserver)
    first = pull_hubspot(api, crm, TODAY)
    assert [(o.object_type, o.records, o.full) for o in first.objects] == \
        [("companies", 150, True), ("contacts", 250, True), ("deals", 1, True)]
    contacts = {r["hs_object_id"]: r for r in rows(crm / "hubspot-api-contacts.csv")}
    assert contacts["1"]["firstname"] == "Hélène"
    assert contacts["1"]["Primary Associated Company ID"] == "1002"
    assert contacts["10"]["Associated Company IDs"] == "1011;1001"
    assert contacts["10"]["Contact owner"] == "Claire Martin"
    deal = rows(crm / "hubspot-api-deals.csv")[0]
    assert (deal["amount"], deal["closedate"], deal["Associated Contact IDs"]) == ("12000.5", "2026-10-01 00:00:00", "1")
    # 3 pages of contacts (100 a page) + 1 association call for 250 contacts
    assert hubspot.calls["GET /crm/v3/objects/contacts"] == 3
    assert hubspot.calls["POST /crm/v4/associations/contacts/companies/batch/read"] == 1

    # the next day: two contacts changed, one new; only they are asked for, the file keeps everyone
    hubspot.add("contacts", "2", {"firstname": "Paul", "lastname": "Durand", "email": "paul@societe3.fr",
                                  "lifecyclestage": "salesqualifiedlead"}, T0 + dt.timedelta(days=1))
    hubspot.add("contacts", "251", {"firstname": "Zoé", "lastname": "Roux", "email": "zoe@societe9.fr"},
                T0 + dt.timedelta(days=1))
    hubspot.associate("contacts", "251", "companies", "1009", primary=True)
    before = hubspot.calls.copy()
    second = pull_hubspot(api, crm, TODAY + dt.timedelta(days=1))
    by_object = {o.object_type: o for o in second.objects}
    # the two changes, and the last record before the high-water mark read again (the search index lags writes, so
    # each pull starts 5 minutes before the mark)
    assert not by_object["contacts"].full and by_object["contacts"].records == 3
    assert hubspot.calls["GET /crm/v3/objects/contacts"] == before["GET /crm/v3/objects/contacts"], "no full re-read"
    contacts = {r["hs_object_id"]: r for r in rows(crm / "hubspot-api-contacts.csv")}
    assert len(contacts) == 251
    assert contacts["2"]["lifecyclestage"] == "salesqualifiedlead"
    assert contacts["251"]["Primary Associated Company ID"] == "1009"
    assert contacts["1"]["firstname"] == "Hélène", "an unchanged record stays as it was"

    # the files land as exports do: objects recognised from the headers, accents kept, associations read
    con = duckdb.connect()
    land_crm(con, crm, temp_dir=tmp_path / "tmp")
    landed = dict(con.execute("""select object_type, count(distinct record_number) from raw.crm_records
                                 group by 1""").fetchall())
    assert landed == {"companies": 150, "contacts": 251, "deals": 1}
    assert con.execute("""select value from raw.crm_records where header = 'firstname' and value like 'H%'""") \
        .fetchone()[0] == "Hélène"


def test_a_weekly_full_pull_and_a_changed_mapping_read_everything_again(hubspot, httpserver, tmp_path):
    crm = tmp_path / "crm"
    api = hubspot_api(httpserver)
    pull_hubspot(api, crm, TODAY)
    again = pull_hubspot(api, crm, TODAY + dt.timedelta(days=7))
    assert all(o.full for o in again.objects), "a full pull at least weekly catches deletions and merges"
    del hubspot.records["contacts"]["5"]  # deleted in HubSpot: gone from the file after the full pull
    pull_hubspot(api, crm, TODAY + dt.timedelta(days=14))
    assert "5" not in {r["hs_object_id"] for r in rows(crm / "hubspot-api-contacts.csv")}


def test_the_search_cap_of_10_000_results_is_paged_past(httpserver, tmp_path):
    fake = FakeHubSpot(HS_TOKEN).install(httpserver)
    crm = tmp_path / "crm"
    fake.add("contacts", "1", {"email": "a@b.fr", "firstname": "A"}, T0)
    api = hubspot_api(httpserver)
    pull_hubspot(api, crm, TODAY)
    for i in range(2, 10_502):  # 10 500 changes: past the 10 000 a search query may page to
        fake.add("contacts", str(i), {"email": f"p{i}@b.fr"}, T0 + dt.timedelta(hours=1, seconds=i))
    result = pull_hubspot(api, crm, TODAY + dt.timedelta(days=1))
    assert {o.object_type: o.records for o in result.objects}["contacts"] == 10_501
    assert len(rows(crm / "hubspot-api-contacts.csv")) == 10_501


def test_a_failed_pull_leaves_the_last_file_and_never_shows_the_token(hubspot, httpserver, tmp_path, caplog):
    crm = tmp_path / "crm"
    pull_hubspot(hubspot_api(httpserver), crm, TODAY)
    before = (crm / "hubspot-api-contacts.csv").read_bytes()
    caplog.set_level(logging.DEBUG)
    bad = HubSpotApi("pat-eu1-revoked-token", httpserver.url_for("").rstrip("/"), backoff_factor=0)
    with pytest.raises(CrmApiError, match="HTTP 401.*HUBSPOT_ACCESS_TOKEN was refused") as error:
        pull_hubspot(bad, crm, TODAY + dt.timedelta(days=7))
    assert (crm / "hubspot-api-contacts.csv").read_bytes() == before
    assert not list(crm.glob("*.partial"))
    for text in (str(error.value), repr(bad), caplog.text):
        assert "revoked-token" not in text and HS_TOKEN not in text


@pytest.fixture
def salesforce(httpserver) -> FakeSalesforce:
    fake = FakeSalesforce().install(httpserver)
    fake.page_size = 100
    fake.fields["Account"].remove("VAT_Number__c")  # an org without this custom field
    for i in range(1, 121):
        fake.add("Account", f"001{i:015d}", {"Name": f"Société {i}", "Website": f"societe{i}.fr",
                                             "CreatedDate": "2026-01-05T10:00:00.000+0000", "SIREN__c": None}, T0)
    for i in range(1, 251):
        fake.add("Lead", f"00Q{i:015d}", {"FirstName": "Élodie" if i == 1 else f"L{i}", "LastName": "Petit",
                                          "Email": f"l{i}@example.fr", "Company": "Dupont SA", "Status": "Open",
                                          "IsConverted": False, "AnnualRevenue": 1500000.0,
                                          "CreatedDate": "2026-03-01T09:30:00.000+0000"}, T0)
    fake.add("Contact", "003000000000000001", {"FirstName": "Marc", "LastName": "Leroy", "Email": "marc@societe1.fr",
                                               "AccountId": "001000000000000001"}, T0)
    fake.add("Opportunity", "006000000000000001", {"Name": "Renouvellement", "StageName": "Closed Won",
                                                   "Amount": 5000.0, "CloseDate": "2026-09-30", "IsWon": True,
                                                   "IsClosed": True, "AccountId": "001000000000000001"}, T0)
    return fake


def salesforce_api(httpserver, fake: FakeSalesforce, **kw) -> SalesforceApi:
    base = httpserver.url_for("").rstrip("/")
    return SalesforceApi(client_id=fake.client_id, client_secret=fake.client_secret, login_url=base,
                         backoff_factor=0, **kw)


def test_salesforce_full_then_incremental_pull_with_paging_and_deletions(salesforce, httpserver, tmp_path):
    crm = tmp_path / "crm"
    api = salesforce_api(httpserver, salesforce)
    first = pull_salesforce(api, crm, TODAY)
    assert {o.object_type: o.records for o in first.objects} == \
        {"companies": 120, "contacts": 1, "leads": 250, "deals": 1}
    assert salesforce.calls["GET /services/data/v62.0/query/<cursor>"] == 2 + 1, "leads: 3 pages, accounts: 2"
    leads = {r["Id"]: r for r in rows(crm / "salesforce-api-lead.csv")}
    first_lead = leads["00Q000000000000001"]
    assert (first_lead["FirstName"], first_lead["AnnualRevenue"], first_lead["IsConverted"],
            first_lead["CreatedDate"], first_lead["Owner.Name"]) == \
        ("Élodie", "1500000", "false", "2026-03-01 09:30:00", "Julien Bernard")
    assert "SIRET__c" in leads["00Q000000000000001"], "the org's custom fields the mapping maps"
    assert "VAT_Number__c" not in rows(crm / "salesforce-api-account.csv")[0], "a field the org lacks is left out"

    # a lead converted, another deleted since: queryAll brings both, the deleted one flagged
    salesforce.add("Lead", "00Q000000000000002", {"FirstName": "L2", "LastName": "Petit", "Email": "l2@example.fr",
                                                  "IsConverted": True, "Status": "Closed - Converted"},
                   T0 + dt.timedelta(days=1))
    salesforce.records["Lead"]["00Q000000000000003"].update(IsDeleted=True, SystemModstamp=T0 + dt.timedelta(days=1))
    second = pull_salesforce(api, crm, TODAY + dt.timedelta(days=1))
    lead_pull = {o.object_type: o for o in second.objects}["leads"]
    assert (lead_pull.full, lead_pull.records, lead_pull.deleted) == (False, 2, 1)
    assert "queryAll" in str(salesforce.calls) and "WHERE SystemModstamp > 2026-11-20T08:00:00Z" in salesforce.queries[-2]
    leads = {r["Id"]: r for r in rows(crm / "salesforce-api-lead.csv")}
    assert len(leads) == 250
    assert leads["00Q000000000000002"]["IsConverted"] == "true"
    assert leads["00Q000000000000003"]["IsDeleted"] == "true"

    con = duckdb.connect()
    land_crm(con, crm, temp_dir=tmp_path / "tmp")
    assert dict(con.execute("select object_type, count(distinct record_number) from raw.crm_records group by 1")
                .fetchall()) == {"companies": 120, "contacts": 1, "leads": 250, "deals": 1}


def test_an_expired_salesforce_token_is_renewed_once_by_client_credentials(salesforce, httpserver, tmp_path, caplog):
    caplog.set_level(logging.DEBUG)
    api = salesforce_api(httpserver, salesforce)
    salesforce.valid_tokens.clear()  # the session expired
    pull_salesforce(api, tmp_path / "crm", TODAY)
    assert salesforce.tokens_issued == 2
    given = SalesforceApi(instance_url=httpserver.url_for("").rstrip("/"), access_token="00Dexpired!token",
                          backoff_factor=0)
    with pytest.raises(CrmApiError, match="INVALID_SESSION_ID.*expired or was revoked") as error:
        pull_salesforce(given, tmp_path / "crm2", TODAY)
    wrong = dict(client_id=salesforce.client_id, client_secret="wrong-secret", login_url=httpserver.url_for(""))
    with pytest.raises(CrmApiError, match="invalid_client") as login_error:
        SalesforceApi(**wrong)
    for text in (str(error.value), str(login_error.value), repr(api), caplog.text):
        assert salesforce.client_secret not in text and "expired!token" not in text and "!AQ4AQ" not in text


# ---- push ----------------------------------------------------------------------------------------------------------

def scored_warehouse(path, leads: list[tuple]) -> duckdb.DuckDBPyConnection:
    """A warehouse holding marts.qualified_leads with the pushed columns (and the erasure requests table)."""
    con = duckdb.connect(str(path))
    con.execute("create schema marts; create schema raw")
    con.execute("""create table marts.qualified_leads (lead_id varchar, crm_source varchar, person_type varchar,
        email varchar, lead_score double, fit_score double, engagement_score double, intent_score double,
        status varchar, sql_source varchar, bant_budget boolean, bant_authority boolean, bant_need boolean,
        bant_timing boolean, siren varchar, status_reason varchar)""")
    con.execute("create table raw.crm_erasure_requests (email_sha256 varchar, requested_at date, source_file varchar,"
                " erased_from_disk_at timestamp)")
    con.executemany("insert into marts.qualified_leads values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    leads)
    return con


def lead(crm: str, record_id: str, score: float, person_type: str = "contact", status: str = "mql") -> tuple:
    return (f"{crm}:{record_id}", crm, person_type, f"{record_id}@example.fr", score, 70.0, score - 10, 0.0, status,
            None, True, False, True, False, "552100554", "Score ≥ 60 : " + "é" * 300)


def test_push_sends_only_changes_recovers_partial_failures_and_reruns_send_nothing(hubspot, salesforce, httpserver,
                                                                                    tmp_path):
    leads = [lead("hubspot", str(i), 50 + i % 40) for i in range(1, 251)] \
        + [lead("salesforce", f"00Q{i:015d}", 65.0, "lead") for i in range(1, 251)] \
        + [lead("salesforce", "003000000000000001", 80.0, "contact", "sql")]
    con = scored_warehouse(tmp_path / "w.duckdb", leads)
    hs, sf = hubspot_api(httpserver), salesforce_api(httpserver, salesforce)
    hubspot.refuse_once = {"7", "150"}            # a 207: two contacts refused, then accepted on the retry
    hubspot.rate_limited_calls = 0
    salesforce.lock_once = {"00Q000000000000009"}  # UNABLE_TO_LOCK_ROW once
    dry = tmp_path / "dry.csv"
    result = push_scores(con, "on", hubspot_api=hs, salesforce_api_factory=lambda: sf, dry_run_file=dry)
    assert result.pushed == {"hubspot": 250, "salesforce": 251} and not result.failed
    assert {p["name"] for p in hubspot.properties} >= {"lq_lead_score", "lq_status", "lq_status_reason"}
    assert "lead_qualification" in {g["name"] for g in hubspot.groups}
    assert max(len(b["inputs"]) for b in hubspot.updates) == 100
    assert max(len(b["records"]) for b in salesforce.updates) == 200
    contact = hubspot.records["contacts"]["1"]["properties"]
    assert (contact["lq_lead_score"], contact["lq_bant_budget"], contact["lq_status"]) == ("51", "true", "mql")
    assert len(contact["lq_status_reason"]) == 255 and contact["lq_status_reason"].endswith("…")
    sf_lead = salesforce.records["Lead"]["00Q000000000000009"]
    assert (sf_lead["LQ_Lead_Score__c"], sf_lead["LQ_BANT_Budget__c"]) == (65, True)
    assert salesforce.records["Contact"]["003000000000000001"]["LQ_Status__c"] == "sql"
    assert not dry.exists()

    # a rerun sends nothing
    sent_hs, sent_sf = len(hubspot.updates), len(salesforce.updates)
    again = push_scores(con, "on", hubspot_api=hs, salesforce_api_factory=lambda: sf, dry_run_file=dry)
    assert (again.changed, len(hubspot.updates), len(salesforce.updates)) == (0, sent_hs, sent_sf)

    # one score moves: only that contact is sent, and it survives a 429
    con.execute("update marts.qualified_leads set lead_score = 99 where lead_id = 'hubspot:3'")
    hubspot.rate_limited_calls = 1
    moved = push_scores(con, "on", hubspot_api=hs, salesforce_api_factory=lambda: sf, dry_run_file=dry)
    assert moved.changed == 1 and hubspot.pushed_contact_ids()[-1:] == ["3"]
    assert hubspot.records["contacts"]["3"]["properties"]["lq_lead_score"] == "99"


def test_a_record_the_crm_keeps_refusing_is_reported_and_sent_again_next_run(hubspot, httpserver, tmp_path,
                                                                              monkeypatch):
    monkeypatch.setattr("crm_sync.push.time.sleep", lambda s: None)
    con = scored_warehouse(tmp_path / "w.duckdb", [lead("hubspot", str(i), 60.0) for i in range(1, 6)])
    hubspot.refuse_always = {"4"}
    hs = hubspot_api(httpserver)
    result = push_scores(con, "on", hubspot_api=hs, salesforce_api_factory=None, dry_run_file=tmp_path / "d.csv")
    assert result.pushed == {"hubspot": 4}
    assert list(result.failed) == ["hubspot:4"] and "CONFLICT" in result.failed["hubspot:4"]
    assert con.execute("select count(*) from crm_sync.pushed_scores where lead_id = 'hubspot:4'").fetchone()[0] == 0
    hubspot.refuse_always = set()
    again = push_scores(con, "on", hubspot_api=hs, salesforce_api_factory=None, dry_run_file=tmp_path / "d.csv")
    assert (again.changed, again.pushed) == (1, {"hubspot": 1})


def test_dry_run_writes_the_changes_sends_nothing_and_an_erased_person_is_never_pushed(hubspot, httpserver, tmp_path):
    leads = [lead("hubspot", str(i), 60.0) for i in range(1, 4)]
    con = scored_warehouse(tmp_path / "w.duckdb", leads)
    con.execute("insert into raw.crm_erasure_requests values (sha256('2@example.fr'), date '2026-11-20', 'e.csv', null)")
    dry = tmp_path / "published" / "crm_push_dry_run.csv"
    hs = hubspot_api(httpserver)
    result = push_scores(con, "dry_run", hubspot_api=hs, salesforce_api_factory=None, dry_run_file=dry)
    assert [r["lead_id"] for r in rows(dry)] == ["hubspot:1", "hubspot:3"]
    assert hubspot.updates == [] and result.changed == 2
    assert con.execute("select count(*) from crm_sync.pushed_scores").fetchone()[0] == 0, "a dry run records nothing"
    pushed = push_scores(con, "on", hubspot_api=hs, salesforce_api_factory=None, dry_run_file=dry)
    assert sorted(hubspot.pushed_contact_ids()) == ["1", "3"] and pushed.pushed == {"hubspot": 2}
    # a person who leaves the scores is forgotten by the push state too
    con.execute("delete from marts.qualified_leads where lead_id = 'hubspot:3'")
    assert push_scores(con, "on", hubspot_api=hs, salesforce_api_factory=None, dry_run_file=dry).forgotten == 1


def test_no_credentials_skip_the_push_and_missing_salesforce_fields_are_named(httpserver, tmp_path):
    con = scored_warehouse(tmp_path / "w.duckdb", [lead("hubspot", "1", 60.0), lead("salesforce", "00Q1", 60.0, "lead")])
    result = push_scores(con, "on", hubspot_api=None, salesforce_api_factory=lambda: None,
                         dry_run_file=tmp_path / "d.csv")
    assert result.skipped == {"hubspot": "no HUBSPOT_ACCESS_TOKEN", "salesforce": "no Salesforce credentials"}
    assert con.execute("select count(*) from crm_sync.pushed_scores").fetchone()[0] == 0
    fake = FakeSalesforce(with_score_fields=False).install(httpserver)
    fake.add("Lead", "00Q1", {"LastName": "X"})
    with pytest.raises(CrmApiError, match=r"Lead\.LQ_Lead_Score__c \(Number\(3, 0\)\) missing"):
        push_scores(con, "on", hubspot_api=None, salesforce_api_factory=lambda: salesforce_api(httpserver, fake),
                    dry_run_file=tmp_path / "d.csv")


def test_a_hand_export_left_beside_the_pulled_file_is_refused_with_what_to_do(hubspot, httpserver, tmp_path):
    crm = tmp_path / "crm"
    pull_hubspot(hubspot_api(httpserver), crm, TODAY)
    (crm / "hubspot-crm-exports-all-contacts-2026-11-25.csv").write_text(
        "Record ID,First Name,Last Name,Email\n1,Hélène,Durand,p1@societe2.fr\n", encoding="utf-8")
    with pytest.raises(LandingError, match="hubspot-api-contacts.csv is pulled by API: remove the hand export"):
        land_crm(duckdb.connect(), crm, temp_dir=tmp_path / "tmp")


def test_without_credentials_the_pull_says_so_in_one_line_and_is_skipped(tmp_path):
    from crm_sync.pull import pull_crm
    from ingestion.settings import Settings

    settings = Settings(landing_dir=tmp_path, duckdb_path=tmp_path / "w.duckdb", publish_dir=tmp_path / "p",
                        as_of=TODAY, duckdb_memory_limit="1GB", duckdb_threads=None, duckdb_compression="auto",
                        insee_api_key=None, language="fr")
    lines: list[str] = []
    result = pull_crm(settings, log=lines.append)
    assert result.skipped and result.objects == [] and len(lines) == 1 and "HUBSPOT_ACCESS_TOKEN" in lines[0]
    assert not (tmp_path / "crm").exists()
