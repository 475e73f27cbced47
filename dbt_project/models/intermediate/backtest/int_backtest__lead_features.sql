-- What the qualification rules look at, per lead and backtest as-of date, as it was known on that date.
-- Who: people already in the CRM on the date whose person and account had no deal yet (once sales opened an
-- opportunity there is nothing left to predict). What: the company's fit (firmographics change slowly; the registry
-- keeps no history of them, except the day a unit ceased), the engagement and signals of int_backtest__engagement
-- and of the signal rules at that date, BODACC events published by then, e-mail suppressions received by then.
-- The CRM's own verdicts (lifecycle stage, lead status, conversion) are only known as of the export, so they do not
-- take part: a backtest status comes from the scores, BANT and the registry alone.
with as_of_dates as (
    select as_of_date from {{ ref('int_backtest__as_of_dates') }}
),

-- what does not change with the date, joined once per lead before the dates multiply the rows
people as (
    select
        p.person_key,
        p.crm_source,
        p.company_key,
        p.email,
        p.created_date,
        p.siren,
        p.email_opt_out,
        p.email_bounced,
        c.naf_section_code,
        c.headcount_band,
        c.headcount_min,
        c.revenue_eur,
        c.region,
        c.is_diffusible as company_is_diffusible,
        c.ceased_on,
        coalesce(f.fit_score, 0) as fit_score,
        coalesce(t.is_decision_role, false) as title_is_decision_role
    from {{ ref('int_crm__people') }} as p
    left join {{ ref('int_companies') }} as c on c.siren = p.siren
    left join {{ ref('int_companies__fit') }} as f on f.siren = p.siren
    left join {{ ref('int_scoring__job_titles') }} as t on t.job_title = p.job_title
),

deals as (
    select person_key, company_key, created_date, close_date, is_won
    from {{ ref('int_crm__deals') }}
    where created_date is not null
),

leads as (
    select person_key as lead_id, company_key from people
),

-- the first deal of the person or of their CRM company
first_deals as (
    {{ lead_deal_dates('leads', 'deals') }}
),

lead_dates as (
    select d.as_of_date, p.*
    from people as p
    cross join as_of_dates as d
    left join first_deals as f on f.lead_id = p.person_key
    where p.created_date <= d.as_of_date
      and (f.opportunity_on is null or f.opportunity_on > d.as_of_date)
),

signals as (
    {{ scored_signals(ref('int_backtest__as_of_dates')) }}
),

company_signals as (
    {{ company_intent('signals') }}
),

person_signals as (
    {{ person_intent('signals') }}
),

legal as (
    {{ legal_disqualifications(ref('int_backtest__as_of_dates')) }}
)

select
    p.as_of_date,
    p.person_key as lead_id,
    p.crm_source,
    p.company_key,
    p.email,
    p.created_date,
    p.siren,
    cast(null as {{ dbt.type_string() }}) as lifecycle_stage,
    cast(null as {{ dbt.type_string() }}) as lead_status,
    false as is_converted,
    false as crm_marked_unqualified,
    false as crm_stage_is_sql,
    false as has_open_deal,
    p.email_opt_out,
    p.email_bounced,
    p.naf_section_code,
    p.headcount_band,
    p.headcount_min,
    p.revenue_eur,
    p.region,
    p.company_is_diffusible,
    coalesce(p.ceased_on <= p.as_of_date, false) as company_is_ceased,
    p.fit_score,
    coalesce(e.engagement_score, 0) as engagement_score,
    e.last_activity_at,
    coalesce(e.requested_demo, false) as requested_demo,
    coalesce(e.has_pricing_burst, false) as has_pricing_burst,
    coalesce(e.engaged_with_buying_content, false) as engaged_with_buying_content,
    cast(least(100, round(coalesce(cs.signal_points, 0) + coalesce(ps.signal_points, 0), 0)) as integer)
        as intent_score,
    coalesce(cs.has_budget_signal, false) as has_budget_signal,
    coalesce(cs.has_timing_signal, false) as has_timing_signal,
    p.title_is_decision_role,
    coalesce(ps.took_decision_role, false) as took_decision_role,
    l.disqualifying_event,
    l.disqualifying_event_on,
    case when s.suppressed_at < {{ dbt.dateadd('day', 1, 'p.as_of_date') }} then s.suppression_event end
        as suppression_event
from lead_dates as p
left join {{ ref('int_backtest__engagement') }} as e on e.as_of_date = p.as_of_date and e.email = p.email
left join company_signals as cs on cs.as_of_date = p.as_of_date and cs.siren = p.siren
left join person_signals as ps on ps.as_of_date = p.as_of_date and ps.email = p.email
left join legal as l on l.as_of_date = p.as_of_date and l.siren = p.siren
left join {{ ref('int_people__email_suppressions') }} as s on s.email = p.email
