"""End to end: every asset materialised on generated data, as `make run` does, and the company table checked against
the landed registry."""

from __future__ import annotations

import dagster as dg


def test_every_asset_materialises_and_every_check_passes(warehouse):
    result = warehouse["result"]
    assert result.success
    materialized = {e.asset_key.to_user_string() for e in result.get_asset_materialization_events()}
    assert {"raw/sirene_unites_legales", "raw/sirene_etablissements", "raw/inpi_ratios",
            "staging/stg_sirene__unites_legales", "intermediate/int_companies"} <= materialized
    checks = result.get_asset_check_evaluations()
    assert len(checks) >= 30, "dbt tests run as asset checks"
    assert [c.check_name for c in checks if not c.passed] == []


def test_dbt_sources_continue_the_lineage_from_the_landing_assets():
    from orchestration.definitions import defs

    graph = defs.resolve_asset_graph()
    parents = graph.get(dg.AssetKey(["staging", "stg_sirene__unites_legales"])).parent_keys
    assert parents == {dg.AssetKey(["raw", "sirene_unites_legales"]), dg.AssetKey(["raw", "sirene_updates_unites_legales"])}
    assert dg.AssetKey(["raw", "inpi_ratios"]) in graph.get(dg.AssetKey(["staging", "stg_inpi__ratios"])).parent_keys
    assert graph.get(dg.AssetKey(["raw", "sirene_unites_legales"])).group_name == "sirene"


def test_landing_metadata_names_the_file_its_hash_and_row_count(warehouse):
    events = {e.asset_key.to_user_string(): e.materialization.metadata
              for e in warehouse["result"].get_asset_materialization_events()}
    meta = events["raw/sirene_etablissements"]
    assert meta["file"].value.endswith("StockEtablissement_utf8.zip")
    assert len(meta["sha256"].value) == 64 and meta["dagster/row_count"].value == 12600


def test_one_company_per_legal_unit(read_warehouse):
    counts = read_warehouse.execute("""
        select (select count(*) from raw.sirene_unites_legales), count(*), count(distinct siren)
        from intermediate.int_companies""").fetchone()
    assert counts[0] == counts[1] == counts[2] == 8700


def test_company_fields_agree_with_the_registry(read_warehouse):
    mismatches = read_warehouse.execute("""
        select count(*) from intermediate.int_companies c
        join raw.sirene_unites_legales u using (siren)
        join raw.sirene_etablissements s on s.siret = u.siren || u.nicSiegeUniteLegale
        where c.is_active <> (u.etatAdministratifUniteLegale = 'A')
           or c.naf_code <> u.activitePrincipaleUniteLegale
           or c.code_commune <> s.codeCommuneEtablissement
           or c.departement <> case when s.codeCommuneEtablissement similar to '9[78].*'
                                    then left(s.codeCommuneEtablissement, 3)
                                    else left(s.codeCommuneEtablissement, 2) end
           or (c.headcount_band = '12' and (c.headcount_min, c.headcount_max) <> (20, 49))
           or c.region is null""").fetchone()[0]
    assert mismatches == 0


def test_revenue_is_the_latest_closing_and_unknown_when_confidential(read_warehouse):
    rows = read_warehouse.execute("""
        with latest as (
            select siren, arg_max(chiffre_d_affaires, date_cloture_exercice) as ca,
                   arg_max(confidentiality, date_cloture_exercice) as conf
            from raw.inpi_ratios group by siren)
        select count(*) filter (where c.revenue_eur is distinct from case when conf = 'Confidentiel' then null else ca end),
               count(*) filter (where conf = 'Confidentiel' and c.revenue_eur is null),
               count(*) filter (where c.revenue_eur > 0)
        from latest join intermediate.int_companies c using (siren)""").fetchone()
    assert rows[0] == 0 and rows[1] > 0 and rows[2] > 0


def test_protected_units_are_flagged_and_never_named(read_warehouse):
    protected = read_warehouse.execute("""
        select count(*), count(company_name), bool_and(not is_diffusible)
        from intermediate.int_companies c join raw.sirene_unites_legales u using (siren)
        where u.statutDiffusionUniteLegale = 'P'""").fetchone()
    assert protected[0] > 0 and protected[1] == 0 and protected[2]
    leaked = read_warehouse.execute(
        "select count(*) from staging.stg_sirene__etablissements where libelle_voie = '[ND]' or numero_voie = '[ND]'"
    ).fetchone()[0]
    assert leaked == 0


def _truth(warehouse, con):
    return con.execute(f"""
        select t.crm_source || ':' || t.crm_company_id as company_key, t.variant, t.true_siren,
               m.siren, m.match_method, m.match_confidence
        from read_csv('{warehouse['zone'] / '_truth' / 'crm_companies.csv'}', all_varchar = true) t
        join intermediate.int_crm__company_matches m
          on m.company_key = t.crm_source || ':' || t.crm_company_id""").fetchall()


def test_every_matching_tier_resolves_the_companies_it_should(warehouse, read_warehouse):
    rows = _truth(warehouse, read_warehouse)
    methods = {r[4] for r in rows}
    assert {"siret", "siren", "vat", "domain", "fuzzy", "unmatched"} <= methods
    # identifier tiers are exact: every company they match is the true one
    wrong = [r for r in rows if r[4] in ("siret", "siren", "vat", "domain") and r[3] != r[2]]
    assert wrong == []
    # an invalid SIRET is never trusted: such companies fall to the name tier or stay unmatched
    assert all(r[4] in ("fuzzy", "unmatched") for r in rows if r[1] == "siret_invalid")
    # companies that are not in the registry are not matched to someone else
    false_matches = [r for r in rows if r[1] == "not_in_registry" and r[4] != "unmatched"]
    assert len(false_matches) <= 0.05 * sum(1 for r in rows if r[1] == "not_in_registry")


def test_fuzzy_tier_precision_and_recall_on_generated_truth(warehouse, read_warehouse):
    rows = _truth(warehouse, read_warehouse)
    fuzzy = [r for r in rows if r[4] == "fuzzy"]
    name_only = [r for r in rows if r[1] in ("name", "siret_invalid")]
    precision = sum(r[3] == r[2] for r in fuzzy) / len(fuzzy)
    recall = sum(r[4] == "fuzzy" and r[3] == r[2] for r in name_only) / len(name_only)
    print(f"fuzzy tier: precision {precision:.3f} on {len(fuzzy)}, recall {recall:.3f} on {len(name_only)}")
    assert precision >= 0.95 and recall >= 0.7


def test_unmatched_companies_appear_in_the_review_table_with_candidates(read_warehouse):
    unmatched, reviewed = read_warehouse.execute("""
        select (select count(*) from intermediate.int_crm__company_matches where match_method = 'unmatched'),
               count(distinct crm_source || ':' || crm_company_id)
        from marts.crm_match_review""").fetchone()
    assert unmatched > 0 and reviewed == unmatched


def test_crm_values_survive_encoding_and_french_formats(read_warehouse):
    titles = {t for (t,) in read_warehouse.execute(
        "select distinct job_title from staging.stg_crm__people where crm_source = 'hubspot'").fetchall()}
    assert {"Chargée d’affaires", "Responsable des œuvres sociales", "Directrice générale"} <= titles
    assert read_warehouse.execute("select count(*) from staging.stg_crm__people where created_date is null"
                                  ).fetchone() == (0,)
    deal = read_warehouse.execute("select deal_name from staging.stg_crm__deals where deal_name like '%€'"
                                  ).fetchone()
    assert deal is not None


def test_unknown_headers_are_listed_for_the_analyst(read_warehouse):
    headers = {h for (h,) in read_warehouse.execute("select header from staging.stg_crm__unmapped_headers").fetchall()}
    assert headers == {"Score HubSpot perso"}


def test_duplicate_web_events_count_once_and_anonymous_visits_are_attributed(read_warehouse):
    raw, distinct, staged = read_warehouse.execute("""
        select (select count(*) from raw.web_events), (select count(distinct event_id) from raw.web_events),
               (select count(*) from staging.stg_intent__web_events)""").fetchone()
    assert raw > distinct  # the generator sends some events twice
    retro, known = read_warehouse.execute("""
        select count(*) filter (where is_attributed_retroactively), count(*) filter (where is_known_person)
        from intermediate.int_intent__web_events""").fetchone()
    assert retro > 0 and known > 0
