-- One row per lead with the date it reached each stage of the funnel: created in the CRM, MQL and SQL (first dates
-- in lead_status_history), opportunity (first deal on the person or their CRM company) and won (first won deal's
-- close date); and the segments the funnel is cut by. A later stage implies the earlier ones were passed.
with leads as (
    select * from {{ ref('int_leads__qualification') }} where as_of_date = {{ as_of_date() }}
),

milestones as (
    select
        lead_id,
        min(changed_on) as first_seen_on,
        min(case when status in ('mql', 'sql') then changed_on end) as mql_on,
        min(case when status = 'sql' then changed_on end) as sql_on
    from {{ ref('lead_status_history') }}
    group by lead_id
),

deals as (
    select person_key, company_key, created_date, close_date, is_won
    from {{ ref('int_crm__deals') }}
),

deal_dates as (
    {{ lead_deal_dates('leads', 'deals') }}
)

select
    l.lead_id,
    l.crm_source,
    coalesce(l.naf_section_code, 'unknown') as naf_section,
    coalesce(l.headcount_band, 'unknown') as headcount_band,
    coalesce(l.region, 'unknown') as region,
    case when l.intent_score > 0 then 'with_intent_signal' else 'engagement_only' end as qualification_path,
    coalesce(l.created_date, m.first_seen_on) as created_on,
    cast({{ dbt.date_trunc('month', 'coalesce(l.created_date, m.first_seen_on)') }} as date) as cohort_month,
    m.mql_on,
    m.sql_on,
    d.opportunity_on,
    d.won_on,
    d.won_on is not null as reached_won,
    d.opportunity_on is not null or d.won_on is not null as reached_opportunity,
    m.sql_on is not null or d.opportunity_on is not null or d.won_on is not null as reached_sql,
    m.mql_on is not null or m.sql_on is not null or d.opportunity_on is not null or d.won_on is not null
        as reached_mql
from leads as l
left join milestones as m on m.lead_id = l.lead_id
left join deal_dates as d on d.lead_id = l.lead_id
