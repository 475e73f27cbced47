"""The probabilistic tier of CRM → registry matching (Splink), between the two dbt steps; and the quality gates of
matching and event attribution."""

import dagster as dg
from dagster_duckdb import DuckDBResource

from matching.probabilistic import score_crm_company_candidates
from orchestration.assets.dbt import dbt_models
from orchestration.assets.quality import percent
from orchestration.resources import PipelineSettings, WAREHOUSE_POOL

# what the matching reads: the dbt models tagged matching_input (dbt_project/selectors.yml)
MATCHING_INPUTS = [spec.key for spec in dbt_models.specs if "matching_input" in spec.tags]


@dg.asset(
    pool=WAREHOUSE_POOL,
    key=["matching", "crm_company_candidates"],
    group_name="matching",
    kinds={"duckdb", "python"},
    deps=MATCHING_INPUTS,
    description="Splink scores every CRM company that no identifier or domain matched against the registry "
                "establishments sharing its postal code and name prefix, or its département and name; keeps the "
                "best three candidates.",
)
def crm_company_candidates(context: dg.AssetExecutionContext, duckdb: DuckDBResource):
    with duckdb.get_connection() as con:
        stats = score_crm_company_candidates(con, log=context.log.info)
    return dg.MaterializeResult(metadata={**stats, "dagster/row_count": stats["companies_with_candidates"]})


# On the mart, not on the matches: a blocking check stops the assets that read the asset it checks, and the
# publication reads the marts. Below the threshold the fit of most leads would be unknown: nothing is published.
@dg.asset_check(asset=dg.AssetKey(["marts", "qualified_leads"]), name="crm_companies_matched_to_the_registry",
                additional_deps=[dg.AssetKey(["intermediate", "int_crm__company_matches"])], blocking=True,
                description="At least LEADS_MIN_MATCH_RATE (default 60 %) of CRM companies are matched to a SIREN. "
                            "Blocking: below it the publication does not run and BI tools keep the last one.",
                pool=WAREHOUSE_POOL)
def match_rate_check(duckdb: DuckDBResource, settings: PipelineSettings) -> dg.AssetCheckResult:
    with duckdb.get_connection() as con:
        rows = con.execute("""select match_method, count(*) from intermediate.int_crm__company_matches
                              group by 1 order by 2 desc""").fetchall()
    total = sum(n for _, n in rows)
    matched = sum(n for method, n in rows if method != "unmatched")
    rate = matched / total if total else 1.0
    return dg.AssetCheckResult(
        passed=rate >= settings.min_match_rate,
        description=f"{matched:,} of {total:,} CRM companies matched ({percent(rate)}, threshold "
                    f"{percent(settings.min_match_rate)})",
        metadata={"match_rate": percent(rate), "threshold": percent(settings.min_match_rate), "companies": total,
                  "table": "intermediate.int_crm__company_matches",
                  **{f"by_{method}": n for method, n in rows},
                  "what_to_do": "read marts.crm_match_review for the unmatched companies; a CRM export without "
                                "SIRET, VAT or address columns cannot match: check the mapping seed crm_field_map"},
    )


@dg.asset_check(asset=dg.AssetKey(["intermediate", "int_intent__web_events"]), name="identified_events_are_known",
                description="At least LEADS_MIN_IDENTIFIED_EVENTS_KNOWN (default 50 %) of identified web events belong "
                            "to a CRM person. A warning: the scores are published, with less behaviour in them.",
                pool=WAREHOUSE_POOL)
def attribution_check(duckdb: DuckDBResource, settings: PipelineSettings) -> dg.AssetCheckResult:
    with duckdb.get_connection() as con:
        total, identified, known, retro = con.execute("""
            select count(*), count(email), count(*) filter (where is_known_person),
                   count(*) filter (where is_attributed_retroactively)
            from intermediate.int_intent__web_events""").fetchone()
    share = known / identified if identified else 1.0
    return dg.AssetCheckResult(
        passed=share >= settings.min_identified_events_known, severity=dg.AssetCheckSeverity.WARN,
        description=f"{known:,} of {identified:,} identified web events belong to a CRM person ({percent(share)}, "
                    f"threshold {percent(settings.min_identified_events_known)})",
        metadata={"events": total, "identified": identified, "known_person": known,
                  "attributed_retroactively": retro, "share_identified_known": percent(share),
                  "threshold": percent(settings.min_identified_events_known),
                  "share_all_known": percent(known / total if total else 0.0),
                  "table": "intermediate.int_intent__web_events"},
    )


matching_checks = [match_rate_check, attribution_check]
