-- Everything the qualification rules look at, one row per CRM person and as-of date (lead_id = crm_source:record id),
-- as it was known on that date: the matched company's firmographics and fit (the registry keeps no history of them,
-- except the day a unit ceased), the person's engagement, the company's and the person's signal points, BODACC
-- events published by then, e-mail suppressions received by then, and the CRM's own verdicts. Joins, and what each
-- joined fact says at the date (ceased by then, suppressed by then); the rules are in the models joined and in
-- int_leads__qualification. Who the person and the company are (names, labels) is not repeated at every date:
-- qualified_leads takes it from int_crm__people and int_companies__in_crm.
--
-- Who is scored at a date: on today's date, every person of the CRM export; on an earlier date (the backtest's), the
-- people the CRM had created by then. The CRM's verdicts (lifecycle stage, lead status, conversion, open deals) are
-- those of its latest export, which only today's date knows: earlier dates see none.
with as_of_dates as (
    select as_of_date, is_today from {{ ref('int_scoring__as_of_dates') }}
)

select
    d.as_of_date,
    p.person_key as lead_id,
    p.crm_source,
    p.person_type,
    p.company_key,
    p.email,
    p.lifecycle_stage,
    p.lead_status,
    p.email_opt_out,
    p.email_bounced,
    p.created_date,
    p.siren,
    c.naf_section_code,
    c.headcount_band,
    c.headcount_min,
    c.revenue_eur,
    c.region,
    c.is_active as company_is_active,
    c.is_diffusible as company_is_diffusible,
    -- ceased on or before the date (a unit ceased at an unknown date counts as ceased)
    coalesce(c.ceased_on <= d.as_of_date, not c.is_active, false) as company_is_ceased,
    coalesce(c.fit_score, 0) as fit_score,
    coalesce(e.engagement_score, 0) as engagement_score,
    e.last_activity_at,
    coalesce(e.requested_demo, false) as requested_demo,
    coalesce(e.has_pricing_burst, false) as has_pricing_burst,
    coalesce(e.engaged_with_buying_content, false) as engaged_with_buying_content,
    coalesce(cs.signal_points, 0) as company_signal_points,
    coalesce(ps.signal_points, 0) as person_signal_points,
    coalesce(cs.has_budget_signal, false) as has_budget_signal,
    coalesce(cs.has_timing_signal, false) as has_timing_signal,
    coalesce(t.is_decision_role, false) as title_is_decision_role,
    coalesce(ps.took_decision_role, false) as took_decision_role,
    l.disqualifying_event,
    l.disqualifying_event_on,
    case when s.suppressed_at < {{ dbt.dateadd('day', 1, 'd.as_of_date') }} then s.suppression_event end
        as suppression_event,
    case when s.suppressed_at < {{ dbt.dateadd('day', 1, 'd.as_of_date') }} then s.suppressed_at end as suppressed_at,
    d.is_today and coalesce(v.is_converted, false) as is_converted,
    d.is_today and coalesce(v.crm_marked_unqualified, false) as crm_marked_unqualified,
    d.is_today and coalesce(v.crm_stage_is_sql, false) as crm_stage_is_sql,
    d.is_today and coalesce(v.has_open_deal, false) as has_open_deal
from {{ ref('int_crm__people') }} as p
join as_of_dates as d on d.is_today or p.created_date <= d.as_of_date
left join {{ ref('int_companies__in_crm') }} as c on c.siren = p.siren
left join {{ ref('int_people__engagement') }} as e on e.as_of_date = d.as_of_date and e.email = p.email
left join {{ ref('int_companies__signals') }} as cs on cs.as_of_date = d.as_of_date and cs.siren = p.siren
left join {{ ref('int_people__signals') }} as ps on ps.as_of_date = d.as_of_date and ps.email = p.email
left join {{ ref('int_scoring__job_titles') }} as t on t.job_title = p.job_title
left join {{ ref('int_companies__legal_disqualifications') }} as l on l.as_of_date = d.as_of_date and l.siren = p.siren
left join {{ ref('int_people__email_suppressions') }} as s on s.email = p.email
left join {{ ref('int_crm__lead_verdicts') }} as v on v.person_key = p.person_key
