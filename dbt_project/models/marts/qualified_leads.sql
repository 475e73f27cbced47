-- One row per CRM person: who they are, the registry company they belong to, the three scores and the lead score,
-- BANT, the status with the reasons a salesperson reads, whether they may be contacted, and when they first became
-- MQL and SQL. The table sales and BI tools read.
with leads as (
    select * from {{ ref('int_leads__qualification') }} where as_of_date = {{ as_of_date() }}
),

-- who the person is (the CRM) and who their company is (the registry): today's only, not kept at every date
people as (
    select
        person_key, first_name, last_name, job_title, owner_name, company_name_in_crm, siret, match_method,
        match_confidence, do_not_call
    from {{ ref('int_crm__people') }}
),

companies as (
    select siren, company_name, naf_code, naf_label, headcount_band_label, departement, region_name
    from {{ ref('int_companies__in_crm') }}
),

-- the reasons of each component in one pass over the score reasons, highest points first
{%- set reason_text = "reason || ' (' || " ~ format_points('points') ~ " || ')'" %}
reasons as (
    select
        lead_id,
        {%- for component in ['fit', 'engagement', 'intent'] %}
        {{ sorted_listagg(reason_text, "'; '", ['-points', 'rule'], "component = '" ~ component ~ "'") }}
            as {{ component }}_rules{{ ',' if not loop.last }}
        {%- endfor %}
    from {{ ref('int_leads__score_reasons') }}
    where as_of_date = {{ as_of_date() }}
    group by lead_id
),

-- first day as MQL (or better) and as SQL, from the status change log: the first logged row of a status is always a
-- real change, so this is what lead_status_history gives, without waiting for that mart to be built
milestones as (
    select
        lead_id,
        min(case when status in ('mql', 'sql') then changed_on end) as mql_at,
        min(case when status = 'sql' then changed_on end) as sql_at
    from {{ ref('int_leads__status_changes') }}
    group by lead_id
)

select
    l.lead_id,
    l.crm_source,
    l.person_type,
    l.email,
    p.first_name,
    p.last_name,
    p.job_title,
    p.company_name_in_crm as company_name,
    c.company_name as registered_name,
    l.siren,
    p.siret,
    p.match_method,
    p.match_confidence,
    c.naf_code,
    c.naf_label,
    l.headcount_band,
    c.headcount_band_label,
    cast(l.revenue_eur as decimal(18, 2)) as revenue_eur,  -- money: exact, as BI tools expect it
    c.departement,
    l.region,
    c.region_name,
    l.fit_score,
    l.engagement_score,
    l.intent_score,
    l.lead_score,
    l.status,
    l.sql_source,
    l.bant_budget,
    l.bant_authority,
    l.bant_need,
    l.bant_timing,
    -- "Profil 50 : … | Engagement 54 : … | Intention 5 : … | <status_reason>", the words in the language of the run
    -- (seed reason_phrases; French puts a space before the colon)
    {{ phrase('fit') }} || ' ' || cast(l.fit_score as {{ dbt.type_string() }}) || {{ phrase('colon') }}
        || coalesce(r.fit_rules, {{ phrase('no_fit_rule') }})
        || ' | ' || {{ phrase('engagement') }} || ' ' || cast(l.engagement_score as {{ dbt.type_string() }})
        || {{ phrase('colon') }}
        || coalesce(r.engagement_rules,
                    replace({{ phrase('no_activity') }}, '{days}', '{{ var("scoring_window_days") }}'))
        || ' | ' || {{ phrase('intent') }} || ' ' || cast(l.intent_score as {{ dbt.type_string() }})
        || {{ phrase('colon') }} || coalesce(r.intent_rules, {{ phrase('no_signal') }})
        || ' | ' || l.status_reason as score_reasons,
    l.status_reason,
    l.contactable,
    l.not_contactable_reason,
    p.do_not_call,
    p.owner_name,
    l.last_activity_at,
    m.mql_at,
    m.sql_at,
    -- the predictive challenger (prediction/), where it beats the rules on the backtest's newest dates; null while the
    -- rules alone are trusted (marts.model_evaluation says why)
    pr.predicted_conversion,
    pr.predicted_factors,
    pr.model_id as predicted_by,
    {{ as_of_date() }} as as_of
from leads as l
join people as p on p.person_key = l.lead_id
left join companies as c on c.siren = l.siren
left join reasons as r on r.lead_id = l.lead_id
left join milestones as m on m.lead_id = l.lead_id
left join {{ source('predictions', 'lead_predictions') }} as pr
    on pr.lead_id = l.lead_id and pr.as_of_date = {{ as_of_date() }}
