"""The probabilistic tier of CRM → registry matching (Splink), between the two dbt steps; and the quality gates of
matching and event attribution."""

import dagster as dg
from dagster_duckdb import DuckDBResource

from matching.probabilistic import score_crm_company_candidates
from orchestration.assets.dbt import dbt_models
from orchestration.resources import PipelineSettings

# what the matching reads: the dbt models tagged matching_input (dbt_project/selectors.yml)
MATCHING_INPUTS = [spec.key for spec in dbt_models.specs if "matching_input" in spec.tags]


@dg.asset(
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


@dg.asset_check(asset=dg.AssetKey(["intermediate", "int_crm__company_matches"]), name="match_rate_above_threshold",
                description="At least LEADS_MIN_MATCH_RATE (default 60 %) of CRM companies are matched to a SIREN.")
def match_rate_check(duckdb: DuckDBResource, settings: PipelineSettings) -> dg.AssetCheckResult:
    with duckdb.get_connection() as con:
        rows = con.execute("""select match_method, count(*) from intermediate.int_crm__company_matches
                              group by 1 order by 2 desc""").fetchall()
    total = sum(n for _, n in rows)
    matched = sum(n for method, n in rows if method != "unmatched")
    rate = matched / total if total else 1.0
    return dg.AssetCheckResult(
        passed=rate >= settings.min_match_rate,
        metadata={"match_rate": round(rate, 4), "threshold": settings.min_match_rate, "companies": total,
                  **{f"by_{method}": n for method, n in rows}},
    )


@dg.asset_check(asset=dg.AssetKey(["intermediate", "int_intent__web_events"]), name="identified_events_are_known",
                description="At least LEADS_MIN_IDENTIFIED_EVENTS_KNOWN (default 50 %) of identified web events belong "
                            "to a CRM person.")
def attribution_check(duckdb: DuckDBResource, settings: PipelineSettings) -> dg.AssetCheckResult:
    with duckdb.get_connection() as con:
        total, identified, known, retro = con.execute("""
            select count(*), count(email), count(*) filter (where is_known_person),
                   count(*) filter (where is_attributed_retroactively)
            from intermediate.int_intent__web_events""").fetchone()
    share = known / identified if identified else 1.0
    return dg.AssetCheckResult(
        passed=share >= settings.min_identified_events_known,
        metadata={"events": total, "identified": identified, "known_person": known,
                  "attributed_retroactively": retro, "share_identified_known": round(share, 4),
                  "share_all_known": round(known / total, 4) if total else 0.0},
    )


matching_checks = [match_rate_check, attribution_check]
