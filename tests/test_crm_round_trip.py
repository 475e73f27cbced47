"""The whole loop with local stand-ins for HubSpot and Salesforce: a run pulls the CRM by API (no hand export in
crm/), lands, scores and publishes it exactly as it does the exports, then pushes the scores back; a rerun sends
nothing; an erased person is neither scored nor pushed; no credential reaches the logs or Dagster's storage."""

from __future__ import annotations

import shutil

import dagster as dg
import duckdb
import pytest

from crm_api_fakes import FakeHubSpot, FakeSalesforce, seed_from_staging

HS_TOKEN = "pat-eu1-0f1e2d3c-round-trip"
SF_SECRET = "sf-consumer-secret-round-trip"
# what the CRM route may change in qualified_leads: nothing a salesperson reads
LINEAGE_COLUMNS = {"as_of"}


def _qualified(path) -> dict[str, tuple]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        columns = [c for (c,) in con.execute("""select column_name from information_schema.columns
            where table_schema = 'marts' and table_name = 'qualified_leads' order by ordinal_position""").fetchall()
                   if c not in LINEAGE_COLUMNS]
        return {row[0]: row for row in con.execute(
            f"select {', '.join(columns)} from marts.qualified_leads order by lead_id").fetchall()}
    finally:
        con.close()


@pytest.mark.timeout(900)
def test_a_run_pulls_the_crm_by_api_scores_publishes_and_pushes_the_changes_back(warehouse, warehouse_copy, tmp_path,
                                                                                   httpserver, monkeypatch, caplog,
                                                                                   capsys):
    from ingestion.settings import load_settings
    from orchestration.definitions import ALL_ASSETS, ALL_CHECKS
    from orchestration.resources import build_resources

    hubspot = FakeHubSpot(HS_TOKEN).install(httpserver)
    salesforce = FakeSalesforce(client_secret=SF_SECRET).install(httpserver)
    with duckdb.connect(str(warehouse["path"]), read_only=True) as con:
        seed_from_staging(con, hubspot, salesforce)
    # someone who asked to be forgotten is still in HubSpot: the pull brings them, the landing erases them
    zone = tmp_path / "landing"
    shutil.copytree(warehouse["zone"], zone)
    requests_file = zone / "crm" / "erasure_requests.csv"
    erased_email = requests_file.read_text(encoding="utf-8").splitlines()[1].split(",")[0].strip()
    hubspot.add("contacts", "8999999999", {"firstname": "Effacée", "lastname": "Personne", "email": erased_email})
    for export in (zone / "crm").iterdir():  # the API replaces the hand exports
        if export.name != "erasure_requests.csv":
            export.unlink()

    base = httpserver.url_for("").rstrip("/")
    env = {"LEADS_LANDING_DIR": str(zone), "LEADS_DUCKDB_PATH": str(warehouse_copy),
           "LEADS_PUBLISH_DIR": str(tmp_path / "published"), "HUBSPOT_ACCESS_TOKEN": HS_TOKEN,
           "LEADS_HUBSPOT_API_URL": base, "SALESFORCE_CLIENT_ID": salesforce.client_id,
           "SALESFORCE_CLIENT_SECRET": SF_SECRET, "SALESFORCE_LOGIN_URL": base, "LEADS_CRM_PUSH": "on"}
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    instance_dir = tmp_path / "dagster_home"
    instance_dir.mkdir()
    instance = dg.DagsterInstance.local_temp(tempdir=str(instance_dir))
    # what the landing sensor runs when new CRM files arrive: the pull, the CRM landing and everything after it
    # (the backtest's models left out: they replay past dates the daily run does not touch, and keep the test short)
    from orchestration.automation import BACKTEST_ONLY

    selection = dg.AssetSelection.assets(["landing", "crm_api"]).downstream().required_multi_asset_neighbors() \
        .downstream() - BACKTEST_ONLY
    caplog.set_level("DEBUG")
    result = dg.materialize([*ALL_ASSETS, *ALL_CHECKS], selection=selection, instance=instance,
                            resources=build_resources(load_settings()), raise_on_error=False)
    assert result.success, [e.message for e in result.all_events if e.is_failure]

    with duckdb.connect(str(warehouse_copy), read_only=True) as con:
        files = {f for (f,) in con.execute("select distinct source_file from raw.crm_records").fetchall()}
        assert files == {"hubspot-api-companies.csv", "hubspot-api-contacts.csv", "hubspot-api-deals.csv",
                         "salesforce-api-account.csv", "salesforce-api-contact.csv", "salesforce-api-lead.csv",
                         "salesforce-api-opportunity.csv"}
        assert not con.execute("select count(*) from marts.qualified_leads where email = ?",
                               [erased_email]).fetchone()[0]
    by_api, by_export = _qualified(warehouse_copy), _qualified(warehouse["path"])
    assert by_api.keys() == by_export.keys()
    different = [lead for lead in by_api if by_api[lead] != by_export[lead]]
    assert not different, f"{len(different)} leads scored otherwise through the API, e.g. " \
                          f"{by_api[different[0]]} vs {by_export[different[0]]}"

    # every scored person got their scores, the erased one none
    hubspot_leads = {lead.split(":", 1)[1] for lead in by_api if lead.startswith("hubspot:")}
    salesforce_leads = {lead.split(":", 1)[1] for lead in by_api if lead.startswith("salesforce:")}
    assert set(hubspot.pushed_contact_ids()) == hubspot_leads and "8999999999" not in hubspot.pushed_contact_ids()
    assert set(salesforce.pushed_ids()) == salesforce_leads
    lead_id = sorted(hubspot_leads)[0]
    assert hubspot.records["contacts"][lead_id]["properties"]["lq_status"] in ("lead", "mql", "sql", "disqualified")

    # the next run sends nothing: nothing changed
    sent = (len(hubspot.updates), len(salesforce.updates))
    again = dg.materialize([*ALL_ASSETS, *ALL_CHECKS], selection=dg.AssetSelection.assets(["crm_sync", "pushed_scores"]),
                           instance=instance, resources=build_resources(load_settings()))
    pushed = next(e.materialization.metadata for e in again.get_asset_materialization_events()
                  if e.asset_key == dg.AssetKey(["crm_sync", "pushed_scores"]))
    assert pushed["changed_since_last_push"].value == 0
    assert (len(hubspot.updates), len(salesforce.updates)) == sent

    # the terminal summary says it, in French by default
    from publication import summary

    capsys.readouterr()
    assert summary.main() == 0
    assert f"les scores de {len(by_api)} leads sont dans le CRM" in capsys.readouterr().out.replace("\u202f", "")

    # the credentials are nowhere: not in a log line, not in the run storage (events, run config, resources)
    stored = b"".join(p.read_bytes() for p in instance_dir.rglob("*") if p.is_file())
    for secret in (HS_TOKEN, SF_SECRET, *salesforce.valid_tokens):
        assert secret.encode() not in stored
        assert secret not in caplog.text
