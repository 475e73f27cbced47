"""The generator writes a realistic landing zone in the published formats, the same for the same seed."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import zipfile
from pathlib import Path

import duckdb
import pytest
from stdnum.fr import siren as stdnum_siren
from stdnum.fr import siret as stdnum_siret

from ingestion.sample_data.__main__ import generate
from ingestion.sources import SCHEMA_FILE

REFERENCE = Path(__file__).resolve().parent.parent / "dbt_project" / "seeds" / "reference"
SCHEMA = json.loads(SCHEMA_FILE.read_text())["files"]


def _header(zip_path: Path) -> list[str]:
    with zipfile.ZipFile(zip_path) as archive, archive.open(archive.infolist()[0]) as fh:
        return next(csv.reader(io.TextIOWrapper(fh, encoding="utf-8")))


@pytest.fixture(scope="module")
def con(sample_zone, tmp_path_factory):
    folder = tmp_path_factory.mktemp("unzipped")
    for stem in ("StockUniteLegale_utf8", "StockEtablissement_utf8"):
        with zipfile.ZipFile(sample_zone / "sirene" / f"{stem}.zip") as archive:
            archive.extractall(folder)
    c = duckdb.connect()
    c.execute(f"create view ul as select * from read_csv('{folder}/StockUniteLegale_utf8.csv', all_varchar=true)")
    c.execute(f"create view et as select * from read_csv('{folder}/StockEtablissement_utf8.csv', all_varchar=true)")
    c.execute(f"create view communes as select * from read_csv('{REFERENCE}/communes_cog2026.csv', all_varchar=true)")
    return c


def test_stock_files_have_every_published_column_in_order(sample_zone):
    assert _header(sample_zone / "sirene" / "StockUniteLegale_utf8.zip") == list(SCHEMA["StockUniteLegale"]["columns"])
    assert _header(sample_zone / "sirene" / "StockEtablissement_utf8.zip") == list(
        SCHEMA["StockEtablissement"]["columns"])


def test_siren_and_siret_carry_valid_luhn_keys(con):
    sirens = [s for (s,) in con.execute("select siren from ul").fetchall()]
    sirets = con.execute("select siren, siret from et").fetchall()
    assert len(set(sirens)) == len(sirens)
    assert all(stdnum_siren.is_valid(s) for s in sirens)
    assert all(stdnum_siret.is_valid(t) and t.startswith(s) for s, t in sirets)


def test_every_unit_has_exactly_one_siege_matching_its_nic(con):
    rows = con.execute("""
        select count(*) filter (where n_sieges <> 1), count(*) filter (where not nic_matches)
        from (select ul.siren, count(*) filter (where et.etablissementSiege = 'true') as n_sieges,
                     bool_or(et.etablissementSiege = 'true' and et.nic = ul.nicSiegeUniteLegale) as nic_matches
              from ul join et using (siren) group by ul.siren)""").fetchone()
    assert rows == (0, 0)


def test_a_plausible_mix_of_statuses_forms_and_bands(con):
    share = dict(zip(
        ["protected", "ceased", "sole_traders", "closed_etab", "bands"],
        con.execute("""select avg((statutDiffusionUniteLegale = 'P')::int), avg((etatAdministratifUniteLegale = 'C')::int),
                              avg((categorieJuridiqueUniteLegale = '1000')::int),
                              (select avg((etatAdministratifEtablissement = 'F')::int) from et),
                              count(distinct trancheEffectifsUniteLegale)
                       from ul""").fetchone()))
    assert 0.015 <= share["protected"] <= 0.035
    assert 0.2 <= share["ceased"] <= 0.5
    assert 0.3 <= share["sole_traders"] <= 0.6
    assert 0.2 <= share["closed_etab"] <= 0.6
    assert share["bands"] >= 12


def test_protected_units_hide_identity_and_address(con):
    leaks = con.execute("""
        select count(*) from ul where statutDiffusionUniteLegale = 'P'
          and (nomUniteLegale <> '[ND]' or prenom1UniteLegale <> '[ND]')""").fetchone()[0]
    assert leaks == 0
    addresses = con.execute("""
        select count(*), count(*) filter (where libelleVoieEtablissement = '[ND]' and numeroVoieEtablissement = '[ND]')
        from et where statutDiffusionEtablissement = 'P'""").fetchone()
    assert addresses[0] > 0 and addresses[0] == addresses[1]


def test_postal_codes_and_departements_match_the_commune(con):
    mismatches = con.execute("""
        select count(*) from et left join communes c on c.code_commune = et.codeCommuneEtablissement
        where c.code_commune is null
           or not list_contains(string_split(c.codes_postaux, '|'), et.codePostalEtablissement)""").fetchone()[0]
    assert mismatches == 0


def test_activity_codes_are_real_naf_codes(con):
    con.execute(f"create or replace view naf as select * from read_csv('{REFERENCE}/naf_rev2_5_levels.csv', all_varchar=true)")
    con.execute(f"create or replace view naf25 as select * from read_csv('{REFERENCE}/naf_2025_5_levels.csv', all_varchar=true)")
    unknown = con.execute("""
        select count(*) filter (where activitePrincipaleUniteLegale not in (select code_sous_classe from naf)),
               count(*) filter (where activitePrincipaleNAF25UniteLegale not in (select niv5 from naf25))
        from ul""").fetchone()
    assert unknown == (0, 0)


def test_inpi_file_is_semicolon_separated_with_bom_and_some_confidential_years(sample_zone):
    raw = (sample_zone / "inpi" / "ratios_inpi_bce.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbfsiren;date_cloture_exercice;chiffre_d_affaires;")
    c = duckdb.connect()
    stats = c.execute(f"""
        select count(*) filter (where confidentiality = 'Confidentiel' and chiffre_d_affaires is null),
               max(n_years)
        from (select *, count(*) over (partition by siren) as n_years
              from read_csv('{sample_zone / 'inpi' / 'ratios_inpi_bce.csv'}', delim=';'))""").fetchone()
    assert stats[0] > 0 and stats[1] >= 3


def test_same_seed_gives_the_same_files(tmp_path):
    digests = []
    for run in ("a", "b"):
        generate(tmp_path / run, scale=0.00002, seed=7, sirene_format="csv", as_of=dt.date(2026, 11, 26))
        digests.append({str(p.relative_to(tmp_path / run)): hashlib.sha256(p.read_bytes()).hexdigest()
                        for p in sorted((tmp_path / run).rglob("*")) if p.is_file()})
    assert digests[0] == digests[1]
    assert len(digests[0]) >= 20  # registry, CRM exports, intent feeds (gzip included), truth


def test_the_generator_never_overwrites_a_folder_of_real_exports(tmp_path):
    from ingestion.sample_data.__main__ import NotASampleZone, generate

    zone = tmp_path / "landing"
    (zone / "crm").mkdir(parents=True)
    export = zone / "crm" / "hubspot-crm-exports-all-contacts-2026-02-27.csv"
    export.write_text('"Record ID","Email"\n"1","a@b.fr"\n')
    with pytest.raises(NotASampleZone, match="make materialize summary"):
        generate(zone, scale=0.00002, sirene_format="csv", as_of=dt.date(2026, 11, 26))
    assert export.read_text().startswith('"Record ID"') and list(zone.rglob("*.csv")) == [export]
