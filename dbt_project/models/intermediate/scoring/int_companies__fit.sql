{{
    config(
        materialized=incremental_on_duckdb(),
        unique_key='siren',
        incremental_strategy='delete+insert',
        on_schema_change='append_new_columns',
        post_hook="{{ drop_rows_of_an_earlier_registry(registry_in_use()) }}"
    )
}}
{#- (append_new_columns: a table built before a column existed gets it, then is rebuilt whole.)
    Daily runs score only the companies int_companies recomputed since (the ones API Sirene updated); other rules
    (an edited seed) or a rebuilt registry score them all. -#}
{%- set rules = rules_fingerprint() -%}
{%- set only_recomputed = is_incremental() and not fit_rules_changed(rules) -%}
-- Firmographic fit of every registry company against the ideal customer profile (seeds/scoring/icp_*): points for
-- sector, size, revenue and geography, each with the words of the rule that gave them, and the fit score (0–100).
-- The whole registry, because the net-new target accounts are chosen from it.
with companies as (
    -- sectors are scored on NAF rév. 2 codes only: a code of an older nomenclature (NAFRev1, NAF1993, NAPv2, carried
    -- by units ceased long ago) may look like a rév. 2 code and mean something else
    select siren, case when naf_nomenclature = 'NAFRev2' then naf_code end as naf_code, naf_division_code,
           naf_section_code, headcount_band, revenue_eur, departement, region, computed_at, registry_landed_at
    from {{ ref('int_companies') }}
    {%- if only_recomputed %}
    where computed_at > (select max(computed_at) from {{ this }})
    {%- endif %}
),

-- each rule's words in the language of the run (reason_fr or reason_en: macro language())
naf as (
    select naf_level, naf_code, points, reason_{{ language() }} as reason from {{ ref('icp_naf') }}
),

headcount_bands as (
    select headcount_band, points, reason_{{ language() }} as reason from {{ ref('icp_headcount_bands') }}
),

geography as (
    select geo_level, geo_code, points, reason_{{ language() }} as reason from {{ ref('icp_geography') }}
),

-- only companies with a known revenue can be in a range: an inner range join on them, then an equality join back
revenue_points as (
    select c.siren, r.points, r.reason_{{ language() }} as reason
    from companies as c
    join {{ ref('icp_revenue_ranges') }} as r
        on c.revenue_eur >= r.min_revenue_eur
       and c.revenue_eur < coalesce(r.max_revenue_eur, 1e18)
),

points as (
    select
        c.siren,
        c.computed_at,
        c.registry_landed_at,
        -- the most specific level listed wins: sous-classe, then division, then section
        coalesce(ns.points, nd.points, nx.points, 0) as sector_points,
        coalesce(ns.reason, nd.reason, nx.reason) as sector_reason,
        coalesce(hb.points, 0) as headcount_points,
        hb.reason as headcount_reason,
        coalesce(rp.points, 0) as revenue_points,
        rp.reason as revenue_reason,
        coalesce(gd.points, gr.points, 0) as geography_points,
        coalesce(gd.reason, gr.reason) as geography_reason
    from companies as c
    left join naf as ns on ns.naf_level = 'sous_classe' and ns.naf_code = c.naf_code
    left join naf as nd on nd.naf_level = 'division' and nd.naf_code = c.naf_division_code
    left join naf as nx on nx.naf_level = 'section' and nx.naf_code = c.naf_section_code
    left join headcount_bands as hb on hb.headcount_band = c.headcount_band
    left join revenue_points as rp on rp.siren = c.siren
    left join geography as gd on gd.geo_level = 'departement' and gd.geo_code = c.departement
    left join geography as gr on gr.geo_level = 'region' and gr.geo_code = c.region
)

select
    *,
    cast(least(100, sector_points + headcount_points + revenue_points + geography_points) as integer) as fit_score,
    {{ rules }} as rules_fingerprint
from points
