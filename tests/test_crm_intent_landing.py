"""CRM exports and intent feeds: every flavour recognised, encodings and delimiters, accents intact, identifiers
checked, duplicate and re-landed events counted once, a corrupt file named."""

from __future__ import annotations

import datetime as dt
import gzip
import json
import shutil
from pathlib import Path

import duckdb
import pytest
from stdnum import luhn
from stdnum.fr import siren as stdnum_siren
from stdnum.fr import siret as stdnum_siret

from conftest import AS_OF
from ingestion.crm import check_identifier, land_crm, recognise
from ingestion.intent import land_feed
from ingestion.landing import LandingError


@pytest.fixture
def con(tmp_path):
    c = duckdb.connect(str(tmp_path / "w.duckdb"))
    yield c
    c.close()


def _write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode(encoding))
    return path


def test_every_generated_export_is_recognised(sample_zone):
    flavours = {p.name: (f.crm_source, f.object_type, f.encoding, f.delimiter)
                for p in sorted((sample_zone / "crm").glob("*.csv")) if p.name != "erasure_requests.csv"
                for f in [recognise(p)]}
    assert flavours == {
        "companies.csv": ("hubspot", "companies", "utf-8", ","),
        "contacts.csv": ("hubspot", "contacts", "cp1252", ";"),
        "deals.csv": ("hubspot", "deals", "utf-8-sig", ","),
        "Account.csv": ("salesforce", "companies", "utf-8", ","),
        "Contact.csv": ("salesforce", "contacts", "utf-8", ","),
        "Lead.csv": ("salesforce", "leads", "utf-8", ","),
        "Opportunity.csv": ("salesforce", "deals", "utf-8", ","),
    }


def test_a_windows_1252_export_keeps_its_accents_euro_and_ligatures(tmp_path, con):
    crm = tmp_path / "crm"
    _write(crm / "contacts_export.csv",
           "ID de fiche;Prénom;Nom;Adresse e-mail;Intitulé du poste;Nom de l'entreprise\r\n"
           "101;Hélène;Lefèvre;helene@cœur.fr;Chargée d’affaires;Cœur & Éclair – 12 000 €\r\n", "cp1252")
    result = land_crm(con, crm, temp_dir=tmp_path / "tmp", log=lambda _: None)
    assert result.files[0]["encoding"] == "cp1252" and result.files[0]["delimiter"] == ";"
    values = dict(con.execute("select header, value from raw.crm_records").fetchall())
    assert values["Prénom"] == "Hélène" and values["Intitulé du poste"] == "Chargée d’affaires"
    assert values["Nom de l'entreprise"] == "Cœur & Éclair – 12 000 €"


def test_hubspot_internal_names_english_labels_and_salesforce_api_names(tmp_path, con):
    crm = tmp_path / "crm"
    _write(crm / "companies-internal.csv", "\ufeffhs_object_id,name,domain,zip\n1,Acme,acme.fr,75008\n")
    _write(crm / "contacts-en.csv", "Record ID,First Name,Email,Job Title\n2,Ann,ann@acme.fr,CEO\n")
    _write(crm / "Lead.csv", "Id,FirstName,LastName,Company,Email,Status,IsConverted\n00Q1,Bob,Ray,Beta,b@beta.fr,"
                             "Open,false\n")
    result = land_crm(con, crm, temp_dir=tmp_path / "tmp", log=lambda _: None)
    assert result.rows_by_object == {"hubspot_companies": 1, "hubspot_contacts": 1, "salesforce_leads": 1}


def test_an_export_of_neither_crm_fails_naming_the_file(tmp_path, con):
    crm = tmp_path / "crm"
    path = _write(crm / "contacts.csv", "nom,prenom\nDupont,Jean\n")
    with pytest.raises(LandingError) as err:
        land_crm(con, crm, temp_dir=tmp_path / "tmp", log=lambda _: None)
    assert str(path) in str(err.value) and "not a HubSpot or Salesforce export" in str(err.value)


def test_a_malformed_crm_line_is_quarantined(tmp_path, con):
    crm = tmp_path / "crm"
    _write(crm / "companies.csv", 'Record ID,Company name\n1,Acme\n2,"Beta, unterminated\n3,Gamma\n')
    result = land_crm(con, crm, temp_dir=tmp_path / "tmp", log=lambda _: None)
    assert result.rows_quarantined >= 1
    assert con.execute("select count(*) from quarantine.crm_records where source_file = 'companies.csv'"
                       ).fetchone()[0] >= 1


def test_identifiers_are_normalised_and_checked_with_stdnum():
    assert check_identifier("552 100 554", "siren")[:3] == ("552100554", True, "552100554")
    assert check_identifier("552.100.554", "siren")[1]
    assert check_identifier("552 100 553", "siren")[1] is False
    assert check_identifier("552 100 554 00013", "siret")[1:4] == (True, "552100554", "55210055400013")
    invalid = check_identifier("55210055400014", "siret")
    assert invalid[1] is False and "Luhn" in invalid[4]
    # a SIRET typed in the SIREN field still identifies the company
    assert check_identifier("55210055400013", "siren")[2] == "552100554"
    tva = stdnum_siren.to_tva("552100554")  # FR + key + SIREN
    vat = check_identifier(f"{tva[:4]} {tva[4:]}", "vat_number")
    assert vat[1] and vat[2] == "552100554"
    assert check_identifier("FR00552100554", "vat_number")[1] is False


def test_la_poste_sirets_are_valid_despite_failing_luhn():
    nic = next(f"{n:05d}" for n in range(10, 10000) if stdnum_siret.is_valid(f"356000000{n:05d}")
               and not luhn.is_valid(f"356000000{n:05d}"))
    assert check_identifier(f"356 000 000 {nic}", "siret")[1]


def test_web_events_dedupe_relanding_and_changed_files(tmp_path, con):
    landing = tmp_path / "landing"
    folder = landing / "intent" / "web_events"
    folder.mkdir(parents=True)
    day = (AS_OF - dt.timedelta(days=6)).isoformat()
    events = [{"event_id": f"e{i}", "occurred_at": f"{day}T10:00:00+01:00", "visitor_id": "v1",
               "email": None, "event_type": "page_view", "page_url": "https://x.fr/tarifs"} for i in range(3)]
    lines = "\n".join(json.dumps(e) for e in events + [events[0]]) + "\nnot json at all\n"
    with gzip.open(folder / "day1.jsonl.gz", "wt") as fh:
        fh.write(lines)
    first = land_feed(con, landing, "web_events", log=lambda _: None)
    assert (first.rows_loaded, first.rows_quarantined) == (4, 1)
    reason = con.execute("select source_line, reason from quarantine.web_events").fetchone()
    assert reason == (5, "not valid JSON")
    # the same content under another name is not landed twice
    shutil.copy(folder / "day1.jsonl.gz", folder / "day1-copy.jsonl.gz")
    again = land_feed(con, landing, "web_events", log=lambda _: None)
    assert again.files_landed == [] and again.total_rows == 4
    # new content under the same name replaces what the old file brought
    with gzip.open(folder / "day1.jsonl.gz", "wt") as fh:
        fh.write(json.dumps(events[0]) + "\n")
    (folder / "day1-copy.jsonl.gz").unlink()
    changed = land_feed(con, landing, "web_events", log=lambda _: None)
    assert changed.files_landed == ["day1.jsonl.gz"] and changed.total_rows == 1
    typed = con.execute("select occurred_at::varchar, email from raw.web_events").fetchone()
    assert typed == (f"{day} 09:00:00", None)  # stored in UTC


def test_a_corrupt_gzip_fails_naming_the_file_and_keeps_the_good_ones(tmp_path, con):
    landing = tmp_path / "landing"
    folder = landing / "intent" / "email_events"
    folder.mkdir(parents=True)
    with gzip.open(folder / "good.jsonl.gz", "wt") as fh:
        fh.write(json.dumps({"email": "a@b.fr", "timestamp": 1700000000, "event": "open", "sg_event_id": "s1",
                             "sg_machine_open": True}) + "\n")
    good = (folder / "good.jsonl.gz").read_bytes()
    (folder / "bad.jsonl.gz").write_bytes(good[: len(good) // 2])
    with pytest.raises(LandingError) as err:
        land_feed(con, landing, "email_events", log=lambda _: None)
    assert "bad.jsonl.gz" in str(err.value)
    assert con.execute("select sg_event_id, sg_machine_open, occurred_at::varchar from raw.email_events"
                       ).fetchall() == [("s1", True, "2023-11-14 22:13:20")]


def test_bodacc_json_array_keeps_nested_fields_as_json(tmp_path, con):
    landing = tmp_path / "landing"
    record = {"id": "A1", "dateparution": "2026-10-01", "familleavis": "collective", "registre": ["552 100 554",
              "552100554"], "jugement": json.dumps({"nature": "Jugement d'ouverture de liquidation judiciaire"})}
    _write(landing / "intent" / "bodacc" / "annonces.json", json.dumps([record]))
    land_feed(con, landing, "bodacc", log=lambda _: None)
    row = con.execute("select registre, jugement from raw.bodacc").fetchone()
    assert json.loads(row[0]) == ["552 100 554", "552100554"] and "liquidation" in json.loads(row[1])["nature"]


@pytest.mark.parametrize("as_of", [AS_OF, dt.date(2027, 3, 1), dt.date(2027, 3, 31), dt.date(2028, 2, 29)],
                         ids=lambda d: d.isoformat())
def test_behaviour_older_than_the_retention_window_is_dropped_but_consent_is_kept(as_of):
    """13 months back from any day, a month end and a leap day included: the same day number 13 months earlier,
    or that month's last day when it is shorter (31 March 2027 keeps behaviour from 28 February 2026)."""
    import calendar

    from ingestion.intent import drop_expired_behaviour

    month_index = as_of.year * 12 + as_of.month - 1 - 13
    year, month = divmod(month_index, 12)
    cutoff = dt.datetime(year, month + 1, min(as_of.day, calendar.monthrange(year, month + 1)[1]))
    just_before = cutoff - dt.timedelta(minutes=1)
    con = duckdb.connect()
    con.execute("create schema raw")
    con.execute("create table raw.web_events as select * from (values ('old', ?::timestamp), ('kept', ?::timestamp)) "
                "t(event_id, occurred_at)", [just_before, cutoff])
    con.execute("""create table raw.email_events as select * from (values
        ('click', ?::timestamp), ('unsubscribe', ?::timestamp), ('bounce', ?::timestamp), ('open', ?::timestamp))
        t(event, occurred_at)""", [just_before, just_before - dt.timedelta(days=400), just_before, cutoff])
    deleted = drop_expired_behaviour(con, as_of, log=lambda _: None)
    assert deleted == {"web_events": 1, "email_events": 1}
    assert con.execute("select event_id from raw.web_events").fetchall() == [("kept",)]
    assert sorted(e for (e,) in con.execute("select event from raw.email_events").fetchall()) == \
        ["bounce", "open", "unsubscribe"]
