"""Daily SIRENE updates against a local server that behaves like API Sirene 3.11: the key header, the readiness check,
cursor paging, the rate limit (429 with Retry-After), 404 for an empty day, and idempotence per day."""

from __future__ import annotations

import csv
import datetime as dt
import json

import pytest
from werkzeug import Request, Response

from ingestion.sirene_api import KEY_HEADER, SireneApiError, fetch_daily_updates

DAY = dt.date(2026, 11, 26)
KEY = "test-key-not-a-secret"


def _unit(siren: str, name: str) -> dict:
    return {"siren": siren, "statutDiffusionUniteLegale": "O", "dateCreationUniteLegale": "2019-03-01",
            "trancheEffectifsUniteLegale": "12", "dateDernierTraitementUniteLegale": "2026-11-26T03:12:45.000",
            "categorieJuridiqueUniteLegale": None,
            "periodesUniteLegale": [
                {"dateFin": None, "dateDebut": "2026-11-26", "etatAdministratifUniteLegale": "C",
                 "changementEtatAdministratifUniteLegale": True, "denominationUniteLegale": name,
                 "activitePrincipaleUniteLegale": "62.01Z", "nicSiegeUniteLegale": "00011",
                 "categorieJuridiqueUniteLegale": "5710"},
                {"dateFin": "2026-11-25", "dateDebut": "2019-03-01", "etatAdministratifUniteLegale": "A",
                 "denominationUniteLegale": name + " ANCIEN NOM"}]}


def _establishment(siret: str) -> dict:
    return {"siren": siret[:9], "nic": siret[9:], "siret": siret, "etablissementSiege": True,
            "dateDernierTraitementEtablissement": "2026-11-26T04:00:00.000",
            "uniteLegale": {"denominationUniteLegale": "ignored here"},
            "adresseEtablissement": {"codePostalEtablissement": "69003", "libelleCommuneEtablissement": "LYON 3EME",
                                     "codeCommuneEtablissement": "69383"},
            "adresse2Etablissement": {"codePostal2Etablissement": None},
            "periodesEtablissement": [{"dateFin": None, "dateDebut": "2026-11-26",
                                       "etatAdministratifEtablissement": "A",
                                       "activitePrincipaleEtablissement": "62.01Z"}]}


class FakeSirene:
    """Two pages of legal units (cursor), one 429 on the way, an empty day for establishments of another date."""

    def __init__(self, state: str = "UP"):
        self.state = state
        self.empty_day = False
        self.requests: list[Request] = []
        self.rate_limited = False

    def __call__(self, request: Request) -> Response:
        self.requests.append(request)
        if request.headers.get(KEY_HEADER) != KEY:
            return Response(json.dumps({"fault": "Invalid API key"}), status=401)
        path = request.path.rsplit("/", 1)[-1]
        if path == "informations":
            return _json({"etatService": self.state, "etatsDesServices": [
                {"Collection": "Unités Légales", "etatCollection": self.state},
                {"Collection": "Établissements", "etatCollection": "UP"}]})
        cursor = request.args.get("curseur")
        if self.empty_day:  # the API's answer when nothing matches
            return Response(json.dumps({"header": {"statut": 404, "message": "Aucun élément trouvé"}}), status=404)
        if path == "siren":
            assert request.args["q"] == f"dateDernierTraitementUniteLegale:{DAY}" and request.args["nombre"] == "1000"
            if cursor == "*":
                return _page("unitesLegales", [_unit("552100554", "ALPHA"), _unit("732829320", "BETA")], "*", "AoE1")
            if not self.rate_limited:
                self.rate_limited = True
                return Response("Too Many Requests", status=429, headers={"Retry-After": "0"})
            return _page("unitesLegales", [_unit("356000000", "GAMMA")], "AoE1", "AoE2") if cursor == "AoE1" \
                else _page("unitesLegales", [], "AoE2", "AoE2")
        if path == "siret":
            if cursor == "*":
                return _page("etablissements", [_establishment("55210055400011")], "*", "*")
        return Response(json.dumps({"header": {"statut": 404, "message": "Aucun élément trouvé"}}), status=404)


def _json(document: dict) -> Response:
    return Response(json.dumps(document), content_type="application/json")


def _page(key: str, records: list, cursor: str, following: str) -> Response:
    return _json({"header": {"statut": 200, "total": 3, "nombre": len(records), "curseur": cursor,
                             "curseurSuivant": following}, key: records})


def _rows(path):
    with path.open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


@pytest.fixture
def api(httpserver):
    fake = FakeSirene()
    httpserver.expect_request("/api-sirene/3.11/informations").respond_with_handler(fake)
    httpserver.expect_request("/api-sirene/3.11/siren").respond_with_handler(fake)
    httpserver.expect_request("/api-sirene/3.11/siret").respond_with_handler(fake)
    return fake, httpserver.url_for("/api-sirene/3.11")


def test_a_day_is_fetched_page_by_page_with_the_key_and_saved_with_the_stock_headers(api, tmp_path):
    fake, url = api
    lines = []
    update = fetch_daily_updates(DAY, tmp_path, KEY, base_url=url, min_interval_s=0, log=lines.append)
    assert update.rows == {"unites_legales": 3, "etablissements": 1}
    units = _rows(tmp_path / "2026-11-26_unites_legales.csv")
    assert [u["siren"] for u in units] == ["552100554", "732829320", "356000000"]
    # the current period wins over the old one; columns are the stock's, in its order
    assert units[0]["denominationUniteLegale"] == "ALPHA" and units[0]["etatAdministratifUniteLegale"] == "C"
    assert units[0]["categorieJuridiqueUniteLegale"] == "5710" and units[0]["dateDebut"] == "2026-11-26"
    assert list(units[0])[:3] == ["siren", "statutDiffusionUniteLegale", "unitePurgeeUniteLegale"]
    [etab] = _rows(tmp_path / "2026-11-26_etablissements.csv")
    assert (etab["siret"], etab["codePostalEtablissement"], etab["etablissementSiege"]) == \
        ("55210055400011", "69003", "true")
    assert fake.requests[0].path.endswith("/informations"), "readiness is checked first"
    assert fake.rate_limited and any("429" in line for line in lines), "the 429 was waited out and logged"
    assert not any(KEY in line for line in lines), "the key never reaches the logs"
    assert not list(tmp_path.glob("*.part"))


def test_a_day_already_saved_is_not_fetched_again(api, tmp_path):
    fake, url = api
    fetch_daily_updates(DAY, tmp_path, KEY, base_url=url, min_interval_s=0)
    served = len(fake.requests)
    again = fetch_daily_updates(DAY, tmp_path, KEY, base_url=url, min_interval_s=0)
    assert len(fake.requests) == served and again.skipped and "already saved" in again.skipped


def test_without_a_key_the_update_is_skipped_with_a_clear_line(api, tmp_path):
    fake, url = api
    lines = []
    update = fetch_daily_updates(DAY, tmp_path, None, base_url=url, log=lines.append)
    assert update.skipped and "INSEE_API_KEY is not set" in lines[0] and fake.requests == []


def test_a_refused_key_or_a_service_down_fails_clearly_and_writes_nothing(api, tmp_path):
    fake, url = api
    with pytest.raises(SireneApiError, match="refused the key"):
        fetch_daily_updates(DAY, tmp_path, "wrong-key", base_url=url, min_interval_s=0)
    fake.state = "DOWN"
    with pytest.raises(SireneApiError, match="not ready"):
        fetch_daily_updates(DAY, tmp_path, KEY, base_url=url, min_interval_s=0)
    assert list(tmp_path.iterdir()) == []


def test_an_empty_day_gives_files_with_headers_only(api, tmp_path):
    fake, url = api
    fake.empty_day = True
    update = fetch_daily_updates(dt.date(2026, 11, 25), tmp_path, KEY, base_url=url, min_interval_s=0)
    assert update.rows == {"unites_legales": 0, "etablissements": 0}
    assert _rows(tmp_path / "2026-11-25_unites_legales.csv") == []


def test_a_newer_daily_update_wins_over_the_stock_and_an_older_one_does_not(warehouse, tmp_path):
    """A company INSEE recorded as ceased yesterday is ceased today, and its leads disqualified."""
    import shutil

    import duckdb
    from conftest import run_dbt

    from ingestion.sirene_api import land_daily_updates

    db = tmp_path / "warehouse.duckdb"
    shutil.copy(warehouse["path"], db)
    updates = tmp_path / "updates"
    updates.mkdir()
    with duckdb.connect(str(db)) as con:
        ceasing, ignored = [r[0] for r in con.execute("""
            select siren from marts.qualified_leads
            where status in ('lead', 'mql') and siren in (select siren from intermediate.int_companies where is_active)
            group by siren order by siren limit 2""").fetchall()]
        con.execute(f"""copy (
            select * replace ('C' as etatAdministratifUniteLegale,
                              dateDernierTraitementUniteLegale + interval 1 day as dateDernierTraitementUniteLegale)
            from raw.sirene_unites_legales where siren = '{ceasing}'
            union all  -- processed before the stock's row: the stock keeps it
            select * replace ('C' as etatAdministratifUniteLegale,
                              dateDernierTraitementUniteLegale - interval 1 day as dateDernierTraitementUniteLegale)
            from raw.sirene_unites_legales where siren = '{ignored}'
        ) to '{updates / "2026-11-25_unites_legales.csv"}' (header)""")
        assert land_daily_updates(con, updates, log=lambda _: None) == {"unites_legales": 2, "etablissements": 0}
    run_dbt(["run", "--select", "int_companies+"], db, tmp_path / "target")
    with duckdb.connect(str(db), read_only=True) as con:
        active = dict(con.execute("select siren, is_active from intermediate.int_companies where siren in (?, ?)",
                                  [ceasing, ignored]).fetchall())
        assert active == {ceasing: False, ignored: True}
        assert con.execute("select count(*) from intermediate.int_companies").fetchone()[0] == \
            con.execute("select count(*) from raw.sirene_unites_legales").fetchone()[0], "one row per SIREN still"
        statuses = {s for (s,) in con.execute("select status from marts.qualified_leads where siren = ?",
                                               [ceasing]).fetchall()}
        assert statuses == {"disqualified"}


def test_an_error_body_that_echoes_the_key_never_shows_it(httpserver, tmp_path):
    """API Sirene's error pages may quote the request; the message (which reaches every log) has the key masked."""
    httpserver.expect_request("/api-sirene/3.11/informations").respond_with_data(
        f"<fault><message>Bad request</message><header>{KEY_HEADER}: {KEY}</header></fault>", status=400)
    with pytest.raises(SireneApiError) as err:
        fetch_daily_updates(DAY, tmp_path, KEY, base_url=httpserver.url_for("/api-sirene/3.11"), min_interval_s=0)
    assert KEY not in str(err.value) and "***" in str(err.value) and "HTTP 400" in str(err.value)


def test_the_key_is_not_sent_to_another_origin_on_a_redirect(httpserver, tmp_path):
    """A redirect to another origin (here the same server under another host name) goes without the key."""
    elsewhere = httpserver.url_for("/elsewhere").replace("localhost", "127.0.0.1")
    base = httpserver.url_for("/api-sirene/3.11").replace("127.0.0.1", "localhost")
    assert elsewhere.split("/")[2] != base.split("/")[2]
    httpserver.expect_request("/api-sirene/3.11/informations").respond_with_data(
        "", status=302, headers={"Location": elsewhere})
    seen = []

    def elsewhere_handler(request):
        seen.append(dict(request.headers))
        return Response(json.dumps({"etatService": "UP", "etatsDesServices": []}), content_type="application/json")

    httpserver.expect_request("/elsewhere").respond_with_handler(elsewhere_handler)
    from ingestion.sirene_api import SireneApi

    SireneApi(KEY, base_url=base, min_interval_s=0).check_ready()
    assert seen and not any(KEY in value for value in seen[0].values())


def test_the_api_down_skips_the_daily_update_with_a_warning_not_the_run(api, tmp_path, monkeypatch):
    import dagster as dg

    from ingestion.settings import load_settings
    from orchestration.assets.registry import sirene_updates
    from orchestration.resources import build_resources

    fake, url = api
    fake.state = "DOWN"
    monkeypatch.setenv("INSEE_API_KEY", KEY)
    monkeypatch.setenv("LEADS_SIRENE_API_URL", url)
    monkeypatch.setenv("LEADS_LANDING_DIR", str(tmp_path / "landing"))
    monkeypatch.setenv("LEADS_DUCKDB_PATH", str(tmp_path / "warehouse.duckdb"))
    instance = dg.DagsterInstance.ephemeral()
    result = dg.materialize([sirene_updates], resources=build_resources(load_settings()), instance=instance)
    assert result.success
    messages = [entry.user_message for entry in instance.all_logs(result.run_id)]
    assert any("API Sirene is not ready" in m and "skipped for this run" in m for m in messages)
    assert not any(KEY in m for m in messages)
