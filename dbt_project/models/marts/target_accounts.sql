-- The net-new prospecting list: active companies of the whole registry that INSEE publishes in full (never a
-- protected unit), fit the ideal customer profile (fit score at least var target_min_fit_score), are not in the CRM
-- and have no disqualifying BODACC event; ranked by fit and recent signals (var target_score_weights). Sole traders
-- are left out unless var target_include_individual_entrepreneurs is true: they are people.
with candidates as (
    select c.*, f.fit_score, f.sector_reason, f.sector_points, f.headcount_reason, f.headcount_points,
           f.revenue_reason, f.revenue_points, f.geography_reason, f.geography_points
    from {{ ref('int_companies') }} as c
    join {{ ref('int_companies__fit') }} as f on f.siren = c.siren
    where c.is_active
      and c.is_diffusible
      and f.fit_score >= {{ var('target_min_fit_score') }}
      {% if not var('target_include_individual_entrepreneurs') -%}
      and not c.is_individual_entrepreneur
      {%- endif %}
      and c.siren not in (select siren from {{ ref('int_crm__company_matches') }} where siren is not null)
      and c.siren not in (select siren from {{ ref('int_companies__legal_disqualifications') }})
),

scored as (
    select
        c.*,
        coalesce(s.intent_score, 0) as intent_score,
        s.recent_signals,
        {{ weighted_score('target_score_weights', {'fit': 'c.fit_score', 'intent': 's.intent_score'}) }}
            as target_score
    from candidates as c
    left join {{ ref('int_companies__signals') }} as s on s.siren = c.siren
)

select
    row_number() over (order by target_score desc, fit_score desc, intent_score desc, siren) as target_rank,
    siren,
    siret_siege,
    company_name,
    categorie_juridique_label as legal_form,
    naf_code,
    naf_label,
    headcount_band,
    headcount_band_label,
    revenue_eur,
    code_postal,
    libelle_commune,
    departement,
    region,
    region_name,
    fit_score,
    intent_score,
    target_score,
    concat_ws('; ',
        sector_reason || ' (' || {{ format_points('sector_points') }} || ')',
        headcount_reason || ' (' || {{ format_points('headcount_points') }} || ')',
        revenue_reason || ' (' || {{ format_points('revenue_points') }} || ')',
        geography_reason || ' (' || {{ format_points('geography_points') }} || ')') as fit_reasons,
    recent_signals,
    {{ as_of_date() }} as as_of
from scored
