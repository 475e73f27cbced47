-- The net-new prospecting list: the prospects of the whole registry (int_companies__prospects: active companies that
-- INSEE publishes in full, never a protected unit, fit score at least var target_min_fit_score, sole traders only
-- when var target_include_individual_entrepreneurs is true) that are not in the CRM and have no disqualifying BODACC
-- event; ranked by fit and recent signals (var target_score_weights).
with candidates as (
    select p.*
    from {{ ref('int_companies__prospects') }} as p
    where p.siren not in (select siren from {{ ref('int_crm__company_matches') }} where siren is not null)
      and p.siren not in (select siren from {{ ref('int_companies__legal_disqualifications') }}
                          where as_of_date = {{ as_of_date() }})
),

scored as (
    select
        c.*,
        coalesce(s.intent_score, 0) as intent_score,
        s.recent_signals,
        {{ weighted_score('target_score_weights', {'fit': 'c.fit_score', 'intent': 's.intent_score'}) }}
            as target_score
    from candidates as c
    left join {{ ref('int_companies__signals') }} as s on s.as_of_date = {{ as_of_date() }} and s.siren = c.siren
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
    cast(revenue_eur as decimal(18, 2)) as revenue_eur,  -- money: exact, as BI tools expect it
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
