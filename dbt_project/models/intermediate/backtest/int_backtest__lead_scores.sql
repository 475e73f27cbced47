-- The backtest's facts: each lead at each backtest as-of date, as int_leads__qualification scored it on what was known
-- then (the same models as today's scores), next to what followed — a deal created on the person or their CRM company
-- within var backtest_horizon_days (an opportunity), and a deal won within it. A lead is in the backtest only before
-- its first deal: once sales opened an opportunity there is nothing left to predict. Leads are ranked into score
-- deciles per date (10 = highest lead scores) and, as a yardstick, into deciles of a random order that knows nothing.
with qualified as (
    select
        q.as_of_date, q.lead_id, q.crm_source, q.company_key, q.created_date, q.naf_section_code, q.headcount_band,
        q.region, q.fit_score, q.engagement_score, q.intent_score, q.lead_score, q.bant_budget, q.bant_authority,
        q.bant_need, q.bant_timing, q.status, q.sql_source, q.mql_source, q.last_activity_at,
        q.disqualifying_event_on
    from {{ ref('int_leads__qualification') }} as q
    join {{ ref('int_backtest__as_of_dates') }} as d on d.as_of_date = q.as_of_date
),

deals as (
    select person_key, company_key, created_date, close_date, is_won
    from {{ ref('int_crm__deals') }}
    where created_date is not null
),

-- from the CRM people (1 M rows), not from the scores (a row per date)
leads as (
    select person_key as lead_id, company_key from {{ ref('int_crm__people') }}
),

-- the first deal of the person or of their CRM company: the outcome to predict
outcomes as (
    {{ lead_deal_dates('leads', 'deals') }}
),

before_their_first_deal as (
    select
        q.*,
        -- a fixed pseudo-random order of the leads of a date: ties of the score, and the random yardstick
        {{ dbt.hash("q.lead_id || '/' || cast(q.as_of_date as " ~ dbt.type_string() ~ ")") }} as random_key
    from qualified as q
    left join outcomes as o on o.lead_id = q.lead_id
    where o.opportunity_on is null or o.opportunity_on > q.as_of_date
)

select
    q.as_of_date,
    q.lead_id,
    q.crm_source,
    q.company_key,
    q.created_date,
    q.naf_section_code,
    q.headcount_band,
    q.region,
    q.fit_score,
    q.engagement_score,
    q.intent_score,
    q.lead_score,
    q.bant_budget,
    q.bant_authority,
    q.bant_need,
    q.bant_timing,
    q.status,
    q.sql_source,
    q.mql_source,
    q.last_activity_at,
    q.disqualifying_event_on,
    case when q.intent_score > 0 then 'signal_led' else 'engagement_only' end as qualification_path,
    o.opportunity_on,
    o.won_on,
    coalesce(o.opportunity_on <= {{ dbt.dateadd('day', var('backtest_horizon_days'), 'q.as_of_date') }}, false)
        as converted,
    coalesce(o.won_on <= {{ dbt.dateadd('day', var('backtest_horizon_days'), 'q.as_of_date') }}, false) as won,
    ntile(10) over (partition by q.as_of_date order by q.lead_score, q.random_key) as score_decile,
    ntile(10) over (partition by q.as_of_date order by q.random_key) as random_decile
from before_their_first_deal as q
left join outcomes as o on o.lead_id = q.lead_id
