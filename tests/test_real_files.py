"""Files exactly as HubSpot, Salesforce, SendGrid, BODACC, INSEE and INPI publish them (tests/fixtures/real/,
SOURCES.md says where each comes from) land without a workaround, and every person gets the status the data contract
implies. One materialisation of a landing zone made only of such files is shared by the read-only tests."""

from __future__ import annotations

import csv
import io
import json
import shutil

import duckdb
import pytest

from conftest import REAL, REAL_AS_OF, copy_real, run_dbt
from ingestion.crm import land_crm, recognise
from ingestion.intent import land_feed
from ingestion.landing import LandingError

DAY = REAL_AS_OF.isoformat()


def _rows(db, query: str, params=()) -> list[tuple]:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(query, list(params)).fetchall()


def _reland_crm(db, tmp_path, files: list[str]) -> None:
    """The warehouse's CRM snapshot replaced by these fixture files (landed as a user drops them)."""
    crm = copy_real(tmp_path / "zone", {"crm": files}) / "crm"
    with duckdb.connect(str(db)) as con:
        land_crm(con, crm, temp_dir=tmp_path / "tmp", force=True, log=lambda _: None)


# ---- the whole zone


def test_a_landing_zone_of_files_as_published_lands_whole(real_warehouse):
    result = real_warehouse["result"]
    assert result.success, [e.event_specific_data for e in result.all_events if e.is_failure]
    db = real_warehouse["path"]
    landed = {f for (f,) in _rows(db, "select distinct source_file from raw.crm_records")}
    assert landed == {"hubspot-crm-exports-all-contacts-2026-02-27.csv",
                      "hubspot-crm-exports-all-companies-2026-02-27.csv",
                      "hubspot-crm-exports-all-deals-2026-02-27.csv", "Account.csv", "Contact.csv", "Lead.csv",
                      "Opportunity.csv"}
    # each delivery format of SendGrid and BODACC lands, and each event or announcement counts once
    per_file = dict(_rows(db, "select _source_file, count(*) from raw.email_events group by 1"))
    assert per_file == {"webhook-post-body.json": 12, "events.jsonl": 12, "events.csv": 12}
    assert _rows(db, "select count(*) from intermediate.int_intent__email_event_log")[0][0] == 12
    per_file = dict(_rows(db, "select _source_file, count(*) from raw.bodacc group by 1"))
    assert per_file == {"exports-json.json": 3, "exports.jsonl": 3, "exports.csv": 3, "records-response.json": 3,
                        "v1-search-response.json": 3, "bad-jugement.jsonl": 1}
    assert _rows(db, "select count(*) from staging.stg_intent__bodacc")[0][0] == 3


def test_every_person_gets_the_status_the_data_contract_implies(real_warehouse):
    statuses = dict(_rows(real_warehouse["path"], "select lead_id, status || ':' || coalesce(sql_source, '') "
                                                 "from marts.qualified_leads"))
    assert statuses == {
        # HubSpot lifecycle stages exported as labels
        "hubspot:51234500101": "sql:crm_lifecycle_stage",  # Sales Qualified Lead
        "hubspot:51234500103": "sql:crm_lifecycle_stage",  # Opportunity
        "hubspot:51234500104": "sql:crm_lifecycle_stage",  # Customer
        "hubspot:51234500106": "sql:crm_lifecycle_stage",  # Customer
        # an MQL and a Lead whose company has an open deal (the custom stage "Signature client" is open by default)
        "hubspot:51234500102": "sql:open_opportunity",
        "hubspot:51234500105": "sql:open_opportunity",
        "hubspot:51234500107": "disqualified:",  # lead status "Unqualified"
        "salesforce:0035g00000Ab1CdAAJ": "sql:open_opportunity",  # Danone's opportunity is Prospecting
        "salesforce:0035g00000Ab1EfAAJ": "sql:open_opportunity",
        "salesforce:0035g00000Ab2GHAAZ": "lead:",  # Société Générale's only opportunity is won
        "salesforce:0035g00000Ab3jkAAB": "lead:",  # Orange's is lost
        "salesforce:00Q5g00000Lm4aAEAR": "lead:",  # Open - Not Contacted
        "salesforce:00Q5g00000Lm4bBEAR": "lead:",  # Working - Contacted
        "salesforce:00Q5g00000Lm4cCEAR": "sql:crm_converted_lead",  # Closed - Converted
        "salesforce:00Q5g00000Lm4dDEAR": "disqualified:",  # Closed - Not Converted
    }


# ---- HubSpot


def test_hubspot_exports_are_told_apart_by_their_headers_not_their_names(tmp_path):
    crm = copy_real(tmp_path, {"crm": ["hubspot/hubspot-crm-exports-all-contacts-2026-02-27.csv",
                                       "hubspot/hubspot-crm-exports-all-companies-2026-02-27.csv",
                                       "hubspot/hubspot-crm-exports-all-deals-2026-02-27.csv",
                                       "hubspot/mes-contacts-vue-enregistree.csv"]}) / "crm"
    # a saved view can be named anything: "contacts" in the name of a deals export does not make it contacts
    shutil.move(crm / "hubspot-crm-exports-all-deals-2026-02-27.csv", crm / "suivi-contacts-et-transactions.csv")
    objects = {path.name: recognise(path).object_type for path in crm.iterdir()}
    assert objects == {"hubspot-crm-exports-all-contacts-2026-02-27.csv": "contacts",
                       "hubspot-crm-exports-all-companies-2026-02-27.csv": "companies",
                       "suivi-contacts-et-transactions.csv": "deals", "mes-contacts-vue-enregistree.csv": "contacts"}


def _as_workbook(csv_path, target, suffix: str):
    """The CSV export as HubSpot's XLSX / XLS export writes it: IDs as numbers, dates as date cells."""
    import datetime as dt

    rows = list(csv.reader(io.StringIO(csv_path.read_text(encoding="utf-8"))))

    def cell(header, value):
        if header == "Record ID" or (header.endswith("Company ID") and value):
            return int(value)
        if header == "Create Date":
            return dt.datetime.fromisoformat(value)
        return value

    if suffix == ".xlsx":
        import xlsxwriter

        book = xlsxwriter.Workbook(str(target), {"constant_memory": True})
        sheet, date_format = book.add_worksheet("Contacts"), book.add_format({"num_format": "yyyy-mm-dd hh:mm"})
        for r, row in enumerate(rows):
            for c, value in enumerate(row if r == 0 else [cell(h, v) for h, v in zip(rows[0], row)]):
                if isinstance(value, dt.datetime):
                    sheet.write_datetime(r, c, value, date_format)
                else:
                    sheet.write(r, c, value)
        book.close()
    else:
        import xlwt

        book = xlwt.Workbook(encoding="utf-8")
        sheet, date_format = book.add_sheet("Contacts"), xlwt.easyxf(num_format_str="yyyy-mm-dd hh:mm")
        for r, row in enumerate(rows):
            for c, value in enumerate(row if r == 0 else [cell(h, v) for h, v in zip(rows[0], row)]):
                sheet.write(r, c, value, date_format) if isinstance(value, dt.datetime) else sheet.write(r, c, value)
        book.save(str(target))


@pytest.mark.parametrize("suffix", [".xlsx", ".xls"])
def test_xlsx_and_xls_exports_land_like_the_csv_export(tmp_path, suffix):
    source = REAL / "hubspot" / "hubspot-crm-exports-all-contacts-2026-02-27.csv"
    landed = {}
    for kind in ("csv", suffix):
        crm = tmp_path / kind / "crm"
        crm.mkdir(parents=True)
        name = "hubspot-crm-exports-all-contacts-2026-02-27"
        if kind == "csv":
            shutil.copy(source, crm / f"{name}.csv")
        else:
            _as_workbook(source, crm / f"{name}{suffix}", suffix)
        with duckdb.connect() as con:
            result = land_crm(con, crm, temp_dir=tmp_path / kind / "tmp", log=lambda _: None)
            landed[kind] = {(n, h): v for n, h, v in con.execute(
                "select record_number, header, value from raw.crm_records").fetchall()}
        assert result.files[0]["object"] == "contacts"
    assert landed[suffix].keys() == landed["csv"].keys()
    for key, value in landed["csv"].items():
        # a date cell is written with its seconds: '2026-02-20 16:02' -> '2026-02-20 16:02:00'
        assert landed[suffix][key] == value or (key[1] == "Create Date" and landed[suffix][key] == value + ":00"), key
    assert not list((tmp_path / suffix / "tmp").glob("*")), "the CSV copy of the workbook is removed"


def test_hubspot_associations_reach_companies_deals_and_contacts(real_warehouse):
    db = real_warehouse["path"]
    companies = dict(_rows(db, "select person_key, company_key from intermediate.int_crm__people "
                               "where crm_source = 'hubspot'"))
    # the primary associated company wins over the other associated ones; a contact without company has none
    assert companies["hubspot:51234500103"] == "hubspot:18231400002"
    assert companies["hubspot:51234500105"] == "hubspot:18231400004" and companies["hubspot:51234500107"] is None
    people = {(d, p) for d, p in _rows(db, "select crm_deal_id, person_key from intermediate.int_crm__deals "
                                           "where crm_source = 'hubspot'")}
    assert {("27123400005", "hubspot:51234500103"), ("27123400005", "hubspot:51234500106"),
            ("27123400004", "hubspot:51234500106")} <= people
    names = dict(_rows(db, "select lead_id, company_name from marts.qualified_leads where crm_source = 'hubspot'"))
    assert names["hubspot:51234500103"] == "Société Générale"


def test_french_labels_and_english_labels_give_the_same_people(real_copy, tmp_path):
    english = "hubspot/hubspot-crm-exports-all-contacts-2026-02-27.csv"
    columns = "person_key, company_key, lifecycle_stage, lead_status_code, email_opt_out, created_date"
    before = set(_rows(real_copy, f"select {columns} from intermediate.int_crm__people where crm_source = 'hubspot'"))
    _reland_crm(real_copy, tmp_path, ["hubspot/mes-contacts-vue-enregistree.csv",
                                      "hubspot/hubspot-crm-exports-all-companies-2026-02-27.csv"])
    run_dbt(["run", "--select", "int_crm__people"], real_copy, tmp_path / "target", as_of=DAY)
    after = set(_rows(real_copy, f"select {columns} from intermediate.int_crm__people"))
    stages = {k: s for k, _, s, *_ in after}
    assert stages["hubspot:51234500101"] == "salesqualifiedlead" and stages["hubspot:51234500103"] == "opportunity"
    assert stages["hubspot:51234500102"] == "subscriber"  # "Abonné" (the one contact changed in the French view)
    assert after - before == {r for r in after if r[0] == "hubspot:51234500102"}, english


def test_a_custom_deal_stage_gets_its_meaning_from_the_seed(real_copy, tmp_path):
    assert _rows(real_copy, "select is_closed, is_won from staging.stg_crm__deals where crm_deal_id = '27123400005'"
                 ) == [(False, False)]
    with duckdb.connect(str(real_copy)) as con:  # what `dbt seed` loads after an analyst adds the row
        con.execute("insert into reference.crm_deal_stages values ('hubspot', 'Signature client', "
                    "'signature_client', 'won')")
    assert _rows(real_copy, "select deal_stage, is_closed, is_won from staging.stg_crm__deals "
                            "where crm_deal_id = '27123400005'") == [("signature_client", True, True)]


# ---- Salesforce


def test_salesforce_contacts_carry_their_accounts_name_and_lookups_that_point_nowhere_are_empty(real_warehouse):
    db = real_warehouse["path"]
    names = dict(_rows(db, "select lead_id, company_name from marts.qualified_leads where crm_source = 'salesforce'"))
    assert names["salesforce:0035g00000Ab1CdAAJ"] == "Danone"
    assert names["salesforce:0035g00000Ab2GHAAZ"] == "Société Générale"
    assert all(names.values())
    assert _rows(db, "select count(*) from staging.stg_crm__people where crm_company_id = '000000000000000AAA'"
                 ) == [(0,)]


def test_salesforce_bounces_and_do_not_call_are_read(real_warehouse):
    rows = {k: (c, r, d) for k, c, r, d in _rows(real_warehouse["path"], """
        select lead_id, contactable, not_contactable_reason, do_not_call from marts.qualified_leads
        where crm_source = 'salesforce'""")}
    # Claire Rousseau opted out and her address bounced (EmailBouncedDate): not contactable
    assert rows["salesforce:0035g00000Ab2GHAAZ"][0] is False
    assert rows["salesforce:0035g00000Ab1CdAAJ"] == (True, None, False)


def test_salesforce_default_lead_statuses_can_be_changed_as_vars(real_copy, tmp_path):
    run_dbt(["run", "--select", "int_crm__lead_verdicts+", "--exclude", "int_leads__status_changes+", "--vars",
             json.dumps({"crm_disqualified_lead_statuses": ["unqualified"], "crm_converted_lead_statuses": []})],
            real_copy, tmp_path / "target", as_of=DAY)
    statuses = dict(_rows(real_copy, "select lead_id, status from intermediate.int_leads__qualification "
                                     f"where crm_source = 'salesforce' and person_type = 'lead' and as_of_date = '{DAY}'"))
    assert statuses["salesforce:00Q5g00000Lm4dDEAR"] != "disqualified"  # Closed - Not Converted, no longer
    assert statuses["salesforce:00Q5g00000Lm4cCEAR"] == "sql"  # IsConverted = 1 still says converted


def test_salesforce_files_resaved_by_excel_keep_their_dates_numbers_and_accents(real_copy, tmp_path):
    _reland_crm(real_copy, tmp_path, ["salesforce/Account.csv", "salesforce/Lead.csv",
                                      "salesforce/excel-us/Contact.csv", "salesforce/excel-fr/Opportunity.csv"])
    orders = dict(_rows(real_copy, "select source_file || ':' || header, date_order from raw.crm_date_columns"))
    assert orders["Contact.csv:CreatedDate"] == "mdy" and orders["Opportunity.csv:CloseDate"] == "dmy"
    run_dbt(["run", "--select", "stg_crm__people", "stg_crm__deals"], real_copy, tmp_path / "target", as_of=DAY)
    created = dict(_rows(real_copy, "select crm_person_id, created_date::varchar from staging.stg_crm__people "
                                    "where person_type = 'contact'"))
    assert created["0035g00000Ab1CdAAJ"] == "2026-02-24" and created["0035g00000Ab2GHAAZ"] == "2025-12-19"
    deals = {d: tuple(rest) for d, *rest in _rows(real_copy, """
        select crm_deal_id, deal_name, close_date::varchar, created_date::varchar, amount_eur, is_closed, is_won
        from staging.stg_crm__deals""")}
    assert deals["0065g00000Pq7aBAAR"][1:] == ("2026-03-31", "2026-02-24", 12500.5, False, False)
    assert deals["0065g00000Pq7bCAAR"] == ("Société Générale - Audit conformité (€)", "2026-02-13", "2025-12-19",
                                          48000.0, True, True)


def _contacts_with_dates(tmp_path, dates: list[str]):
    """The Excel-re-saved Contact.csv with its CreatedDate values replaced."""
    source = (REAL / "salesforce" / "excel-us" / "Contact.csv").read_text(encoding="utf-8")
    rows = list(csv.reader(io.StringIO(source)))
    at = rows[0].index("CreatedDate")
    for row, value in zip(rows[1:], dates):
        row[at] = value
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(rows)
    target = tmp_path / "fixture" / "Contact.csv"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(out.getvalue(), encoding="utf-8")
    return target


def test_dates_whose_order_cannot_be_told_are_unknown_until_the_setting_decides(real_copy, tmp_path):
    contacts = _contacts_with_dates(tmp_path, ["02/03/26 02:18 AM", "03/04/26 05:42 PM", "12/01/69 10:05 AM",
                                               "11/10/25 9:59 AM"])
    crm = tmp_path / "zone" / "crm"
    crm.mkdir(parents=True)
    shutil.copy(REAL / "salesforce" / "Account.csv", crm)
    shutil.copy(contacts, crm)
    lines = []
    with duckdb.connect(str(real_copy)) as con:
        land_crm(con, crm, temp_dir=tmp_path / "tmp", force=True, log=lines.append)
    assert any("Contact.csv: column 'CreatedDate'" in line and "crm_ambiguous_date_order" in line for line in lines)
    assert _rows(real_copy, "select date_order from raw.crm_date_columns where header = 'CreatedDate' "
                            "and source_file = 'Contact.csv'") == [(None,)]
    run_dbt(["run", "--select", "stg_crm__people"], real_copy, tmp_path / "target", as_of=DAY)
    assert _rows(real_copy, "select count(created_date) from staging.stg_crm__people") == [(0,)], "unknown, not guessed"
    # the check in Dagster says so
    from orchestration.assets.crm_intent import crm_date_order_check

    class _Resource:
        def get_connection(self):
            return duckdb.connect(str(real_copy), read_only=True)
    assert crm_date_order_check(duckdb=_Resource()).passed is False

    run_dbt(["run", "--select", "stg_crm__fields", "stg_crm__people", "--vars",
             json.dumps({"crm_ambiguous_date_order": "mdy"})],
            real_copy, tmp_path / "target", as_of=DAY)
    dates = sorted(d for (d,) in _rows(real_copy, "select created_date::varchar from staging.stg_crm__people"))
    # two-digit years: 26 is 2026 and 69 is 1969 (never year 0026)
    assert dates == ["1969-12-01", "2025-11-10", "2026-02-03", "2026-03-04"]


# ---- SendGrid


def test_only_a_hard_bounce_unsubscribe_or_spam_report_suppresses_a_person(real_warehouse):
    suppressed = dict(_rows(real_warehouse["path"], "select email, suppression_event "
                                                    "from intermediate.int_people__email_suppressions"))
    assert suppressed == {"p.fontaine@fontaine-conseil.fr": "bounce",  # type bounce, Invalid Address
                          "helene.dubois@societegenerale.com": "spamreport",
                          "nicolas.laurent@orange.com": "unsubscribe"}
    # a blocked bounce (julien), a deferral (thomas) and a group unsubscribe (lea) leave the person contactable
    contactable = dict(_rows(real_warehouse["path"], "select email, contactable from marts.qualified_leads "
                                                     "where crm_source = 'hubspot'"))
    assert contactable["julien.bernard@danone.com"] and contactable["thomas.petit@totalenergies.com"]
    assert contactable["lea.moreau@orange.com"]


def test_a_group_unsubscribe_suppresses_the_groups_set_for_it(real_copy, tmp_path):
    run_dbt(["run", "--select", "stg_intent__email_suppressions", "int_people__email_suppressions", "--vars",
             json.dumps({"email_suppressing_unsubscribe_groups": ["21045"]})], real_copy, tmp_path / "target",
            as_of=DAY)
    assert ("lea.moreau@orange.com", "group_unsubscribe") in _rows(
        real_copy, "select email, suppression_event from intermediate.int_people__email_suppressions")


@pytest.mark.parametrize("name", ["webhook-post-body.json", "events.jsonl", "events.csv"])
def test_sendgrid_post_bodies_json_lines_and_csv_land_alike(tmp_path, name):
    zone = copy_real(tmp_path, {"intent/email_events": [f"sendgrid/{name}"]})
    with duckdb.connect() as con:
        result = land_feed(con, zone, "email_events", log=lambda _: None)
        rows = set(con.execute("""select sg_event_id, event, occurred_at::varchar, bounce_type, bounce_classification,
                                         asm_group_id, category from raw.email_events""").fetchall())
    assert result.rows_loaded == 12 and result.rows_quarantined == 0
    by_event = {r[1]: r for r in rows}
    assert by_event["bounce"][3:5] in {("bounce", "Invalid Address"), ("blocked", "Reputation")}
    assert by_event["group_unsubscribe"][5] == "21045"
    assert by_event["click"][6] == "relance-fevrier, b2b-fr"  # a list of categories
    assert by_event["processed"][2] == "2026-02-27 00:00:12"  # Unix seconds, read as UTC


def test_sendgrid_timestamps_in_milliseconds_are_not_year_57886(tmp_path):
    events = json.loads((REAL / "sendgrid" / "webhook-post-body.json").read_text())
    for event in events:
        event["timestamp"] *= 1000
    folder = tmp_path / "intent" / "email_events"
    folder.mkdir(parents=True)
    (folder / "ms.json").write_text(json.dumps(events))
    with duckdb.connect() as con:
        land_feed(con, tmp_path, "email_events", log=lambda _: None)
        years = {y for (y,) in con.execute("select distinct year(occurred_at) from raw.email_events").fetchall()}
    assert years == {2026}


# ---- BODACC


@pytest.mark.parametrize("name", ["exports-json.json", "exports.jsonl", "exports.csv", "records-response.json",
                                  "v1-search-response.json"])
def test_bodacc_lands_in_every_shape_the_api_returns(tmp_path, name):
    zone = copy_real(tmp_path, {"intent/bodacc": [f"bodacc/{name}"]})
    with duckdb.connect() as con:
        land_feed(con, zone, "bodacc", log=lambda _: None)
        rows = con.execute("select id, familleavis, registre from raw.bodacc order by id").fetchall()
    # registre as a list or as "903 456 127,903456127": kept as a JSON list either way
    assert [(i, f, json.loads(r)[0]) for i, f, r in rows] == [
        ("A202600411183", "creation", "380 129 866"), ("A202600411207", "collective", "903 456 127"),
        ("B202600390512", "radiation", "843 120 767")]


def test_a_bodacc_record_with_unreadable_json_is_quarantined_and_the_run_goes_on(real_warehouse):
    db = real_warehouse["path"]
    [(line, reason)] = _rows(db, "select source_line, reason from quarantine.bodacc "
                                 "where source_file = 'bad-jugement.jsonl'")
    assert line == 2 and reason.startswith("jugement is not valid JSON")
    sirens = dict(_rows(db, "select announcement_id, siren from staging.stg_intent__bodacc"))
    assert sirens == {"A202600411207": "903456127", "A202600411183": "380129866", "B202600390512": "843120767"}
    assert real_warehouse["result"].success


# ---- SIRENE and INPI


def test_an_older_stock_lands_with_the_columns_it_lacks_logged(real_warehouse):
    [(missing,)] = _rows(real_warehouse["path"], "select missing_optional_columns from raw._load_log "
                                                 "where table_name = 'sirene_unites_legales'")
    assert {"societeMissionUniteLegale", "activitePrincipaleNAF25UniteLegale"} <= set(missing)


def test_codes_of_older_nomenclatures_are_counted_and_never_scored(real_warehouse):
    db = real_warehouse["path"]
    unlabelled = {(k, n, c): u for k, n, c, u in _rows(db, """
        select code_kind, nomenclature, code, legal_units from intermediate.int_companies__unlabelled_codes""")}
    assert {("activite_principale", "NAFRev1", "74.1G"), ("activite_principale", "NAF1993", "741G"),
            ("activite_principale", "NAPv2", "7701")} <= set(unlabelled)
    points = dict(_rows(db, "select siren, sector_points from intermediate.int_companies__fit "
                            "where siren in ('312548076', '340682152', '305917361')"))
    assert points == {"312548076": 0, "340682152": 0, "305917361": 0}


def test_partly_confidential_accounts_leave_revenue_unknown_and_own_accounts_beat_consolidated(real_warehouse):
    revenue = {s: (r, c, t) for s, r, c, t in _rows(real_warehouse["path"], """
        select siren, revenue_eur, revenue_is_confidential, revenue_account_type
        from intermediate.int_companies__latest_revenue""")}
    assert revenue["812345676"] == (None, True, "S")  # "Partiellement confidentiel": 0 in the file, unknown here
    assert revenue["790135289"][:2] == (None, True)
    assert revenue["552032534"] == (635000000.0, False, "C")  # Danone SA's own accounts, not the group's


# ---- the report


def test_a_run_with_too_little_history_says_why_there_is_no_backtest(real_warehouse):
    page = (real_warehouse["published"] / "report" / "index.html").read_text(encoding="utf-8")
    assert "trop peu d'historique" in page and "2025-11-29" in page  # the last backtest date: 90 days before


# ---- refusals


def test_a_file_the_crm_landing_cannot_read_is_an_error_naming_it(tmp_path):
    crm = copy_real(tmp_path, {"crm": ["salesforce/Account.csv"]}) / "crm"
    (crm / "WE_00D5g000000XXXX_1.zip").write_bytes(b"PK\x03\x04")
    with duckdb.connect() as con, pytest.raises(LandingError, match=r"WE_00D5g000000XXXX_1\.zip.*unzip"):
        land_crm(con, crm, temp_dir=tmp_path / "tmp", log=lambda _: None)


def test_a_utf16_export_keeps_its_accents(tmp_path):
    text = (REAL / "hubspot" / "hubspot-crm-exports-all-contacts-2026-02-27.csv").read_text(encoding="utf-8")
    crm = tmp_path / "crm"
    crm.mkdir()
    (crm / "contacts.csv").write_bytes(text.encode("utf-16"))
    with duckdb.connect() as con:
        result = land_crm(con, crm, temp_dir=tmp_path / "tmp", log=lambda _: None)
        names = {v for (v,) in con.execute("select value from raw.crm_records where header = 'First Name'").fetchall()}
    assert result.files[0]["encoding"] == "utf-16" and {"Hélène", "Léa"} <= names
