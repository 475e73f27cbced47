"""The probabilistic tier of CRM → registry matching, with Splink on DuckDB (plain Python, no Dagster).

Inputs are two dbt models: `intermediate.int_crm__companies_to_match` (CRM companies no identifier or domain
matched) and `intermediate.int_registry__match_candidates` (open establishments and sièges, names normalised).
The registry side is first cut to the establishments that share a block with some CRM company — same postal code and
name prefix, or same département and name — so Splink compares a few candidates per company, not 42 M.

The model's parameters are fixed, not trained: m and u probabilities below, written from how names and addresses
agree for the same company and for two random ones. That keeps a run deterministic and fast; the test suite measures
precision and recall on generated data where the truth is known.
"""

from __future__ import annotations

import logging
import time

import duckdb

from ingestion.warehouse import Log, logger

OUTPUT_TABLE = "matching.crm_company_candidates"
KEEP_ABOVE = 0.05  # candidates below this probability are not worth showing to a reviewer
TOP_CANDIDATES = 3  # distinct SIRENs kept per CRM company: enough to show a reviewer, and to see a tie


def _settings(prior: float):
    import splink.comparison_library as cl
    from splink import SettingsCreator, block_on

    return SettingsCreator(
        link_type="link_only",
        unique_id_column_name="unique_id",
        probability_two_random_records_match=prior,
        comparisons=[
            # levels: exact, Jaro-Winkler >= 0.95 (a typo), >= 0.88 (a word differs), anything else
            cl.JaroWinklerAtThresholds("name_normalized", [0.95, 0.88]).configure(
                m_probabilities=[0.70, 0.15, 0.10, 0.05], u_probabilities=[1e-5, 1e-4, 2e-3, 0.99789]),
            cl.ExactMatch("postal_code").configure(m_probabilities=[0.85, 0.15], u_probabilities=[1.7e-4, 0.99983]),
            cl.ExactMatch("departement").configure(m_probabilities=[0.95, 0.05], u_probabilities=[0.03, 0.97]),
            cl.ExactMatch("naf_code").configure(m_probabilities=[0.6, 0.4], u_probabilities=[0.01, 0.99]),
        ],
        blocking_rules_to_generate_predictions=[
            block_on("postal_code", "name_prefix"),
            block_on("departement", "name_normalized"),
        ],
        retain_intermediate_calculation_columns=False,
        retain_matching_columns=False,
    )


def score_crm_company_candidates(con: duckdb.DuckDBPyConnection, log: Log = logger.info) -> dict:
    """Write the best registry candidates of every CRM company left unmatched to `matching.crm_company_candidates`;
    return counts and timings."""
    from splink import DuckDBAPI, Linker

    started = time.monotonic()
    con.execute("create schema if not exists matching")
    con.execute("""create or replace temp table splink_crm as
        select company_key as unique_id, name_normalized, name_prefix, postal_code, departement, naf_code
        from intermediate.int_crm__companies_to_match""")
    n_crm = con.execute("select count(*) from splink_crm").fetchone()[0]
    registry_size = con.execute("select count(*) from intermediate.int_registry__match_candidates").fetchone()[0]
    # Only establishments that share a blocking key with some CRM company can ever be compared.
    con.execute("""create or replace temp table splink_registry as
        select r.siret as unique_id, r.name_normalized, r.name_prefix, r.postal_code, r.departement, r.naf_code
        from intermediate.int_registry__match_candidates as r
        where (r.postal_code, r.name_prefix) in (select postal_code, name_prefix from splink_crm)
           or (r.departement, r.name_normalized) in (select departement, name_normalized from splink_crm)""")
    n_registry = con.execute("select count(*) from splink_registry").fetchone()[0]
    log(f"probabilistic tier: {n_crm:,} CRM companies against {n_registry:,} registry establishments sharing a block "
        f"(of {registry_size:,})")
    con.execute(f"""create or replace table {OUTPUT_TABLE}__loading (
        company_key varchar, siren varchar, siret varchar, match_probability double, match_weight double,
        candidate_rank integer, registry_name varchar, registry_postal_code varchar, registry_is_active boolean)""")
    if n_crm and n_registry:
        logging.getLogger("splink").setLevel(logging.WARNING)
        linker = Linker(["splink_crm", "splink_registry"], _settings(prior=1 / max(registry_size, 1)),
                        db_api=DuckDBAPI(connection=con), input_table_aliases=["crm", "registry"],
                        set_up_basic_logging=False)
        predictions = linker.inference.predict(threshold_match_probability=KEEP_ABOVE)
        con.execute(f"""insert into {OUTPUT_TABLE}__loading
            with pairs as (
                select case when source_dataset_l = 'crm' then unique_id_l else unique_id_r end as company_key,
                       case when source_dataset_l = 'crm' then unique_id_r else unique_id_l end as siret,
                       match_probability, match_weight
                from {predictions.physical_name}
            ),
            best_per_unit as (  -- one candidate per SIREN: its likeliest establishment
                select p.*, r.siren, r.company_name, r.postal_code, r.is_active,
                       row_number() over (partition by p.company_key, r.siren
                                          order by p.match_weight desc, p.siret) as rank_in_unit
                from pairs p
                join intermediate.int_registry__match_candidates r on r.siret = p.siret
            ),
            ranked as (
                select *, row_number() over (partition by company_key
                                             order by match_weight desc, siret) as candidate_rank
                from best_per_unit where rank_in_unit = 1
            )
            select company_key, siren, siret, round(match_probability, 6), round(match_weight, 3),
                   candidate_rank::integer, company_name, postal_code, is_active
            from ranked
            where candidate_rank <= {TOP_CANDIDATES}""")
    con.execute("begin transaction")
    con.execute(f"drop table if exists {OUTPUT_TABLE}")
    con.execute(f"alter table {OUTPUT_TABLE}__loading rename to crm_company_candidates")
    con.execute("commit")
    scored = con.execute(f"select count(distinct company_key) from {OUTPUT_TABLE}").fetchone()[0]
    duration = time.monotonic() - started
    log(f"probabilistic tier: candidates for {scored:,} of {n_crm:,} companies in {duration:.1f} s")
    return {"companies_to_match": n_crm, "registry_candidates": n_registry, "registry_size": registry_size,
            "companies_with_candidates": scored, "duration_s": round(duration, 1)}
