-- What the predictive model reads, one row per CRM person and as-of date (every date int_scoring__as_of_dates
-- scores: today's, and the backtest's weekly dates when they are scored), each fact as it was known on that date:
-- the components of the rules' scores (fit by criterion, engagement by family of activity, signals by kind with the
-- days since the newest), the firmographics, the BANT flags, the company's BODACC events and the CRM source.
-- Every column but as_of_date and lead_id is a feature (prediction/conversion_model.py takes them as they are: a
-- column added here is learnt from at the next weekly training); text columns are categories.
--
-- Nothing here knows the future: the CRM's own verdicts (lifecycle stage, lead status, conversion, open deals) come
-- from its latest export, which only today's date knows, and are left out; so are the outcomes.
with leads as (
    select
        f.as_of_date, f.lead_id, f.crm_source, f.person_type, f.siren, f.email, f.naf_section_code, f.headcount_band,
        f.revenue_eur, f.region, f.company_is_ceased, f.fit_score, f.engagement_score, f.last_activity_at,
        f.requested_demo, f.has_pricing_burst, f.title_is_decision_role, f.took_decision_role,
        f.disqualifying_event
    from {{ ref('int_leads__features') }} as f
),

-- each known person's decayed engagement points by family of activity, at each date
engagement_by_family as (
    select
        as_of_date,
        email,
        sum(case when activity in ('page_view:pricing', 'pricing_burst') then points else 0 end) as pricing_points,
        sum(case when activity = 'page_view:product' then points else 0 end) as product_page_points,
        sum(case when activity in ('page_view:content', 'page_view:other') then points else 0 end)
            as other_page_points,
        sum(case when activity = 'demo_request' then points else 0 end) as demo_points,
        sum(case when activity in ('content_download', 'webinar_registration', 'form_submit') then points else 0 end)
            as content_points,
        sum(case when activity like 'email_%' then points else 0 end) as email_points,
        count(*) as activities_in_window
    from {{ ref('int_scoring__activities') }}
    where email is not null
    group by as_of_date, email
),

-- each company's decayed signal points by kind, and the days since the newest signal of the kind, at each date
company_signals as (
    select
        as_of_date,
        siren,
        sum(case when signal_key = 'funding' then points else 0 end) as funding_points,
        min(case when signal_key = 'funding' then age_days end) as funding_days_ago,
        sum(case when signal_key in ('hiring', 'hiring_surge') then points else 0 end) as hiring_points,
        min(case when signal_key in ('hiring', 'hiring_surge') then age_days end) as hiring_days_ago,
        sum(case when signal_key in ('expansion', 'leadership_change') then points else 0 end) as growth_points,
        min(case when signal_key in ('expansion', 'leadership_change') then age_days end) as growth_days_ago,
        sum(case when signal_key like 'bodacc_%' then points else 0 end) as bodacc_points,
        min(case when signal_key like 'bodacc_%' then age_days end) as bodacc_days_ago
    from {{ ref('int_signals__scored') }}
    where subject_type = 'company'
    group by as_of_date, siren
),

-- each person's own signals (a job change into a decision role), at each date
person_signals as (
    select
        as_of_date,
        email,
        sum(points) as job_change_points,
        min(age_days) as job_change_days_ago
    from {{ ref('int_signals__scored') }}
    where subject_type = 'person'
    group by as_of_date, email
)

select
    l.as_of_date,
    l.lead_id,
    -- who and where
    l.crm_source,
    l.person_type,
    l.siren is not null as is_matched_to_registry,
    l.naf_section_code,
    l.headcount_band,
    l.region,
    l.revenue_eur,
    {{ dbt.datediff('co.date_creation', 'l.as_of_date', 'day') }} / 365.25 as company_age_years,
    l.company_is_ceased,
    l.disqualifying_event as bodacc_disqualifying_event,
    -- fit, by criterion of the ideal customer profile
    l.fit_score,
    coalesce(c.sector_points, 0) as sector_points,
    coalesce(c.headcount_points, 0) as headcount_points,
    coalesce(c.revenue_points, 0) as revenue_points,
    coalesce(c.geography_points, 0) as geography_points,
    -- behaviour, by family
    l.engagement_score,
    coalesce(e.pricing_points, 0) as pricing_points,
    coalesce(e.product_page_points, 0) as product_page_points,
    coalesce(e.other_page_points, 0) as other_page_points,
    coalesce(e.demo_points, 0) as demo_points,
    coalesce(e.content_points, 0) as content_points,
    coalesce(e.email_points, 0) as email_points,
    coalesce(e.activities_in_window, 0) as activities_in_window,
    {{ dbt.datediff('l.last_activity_at', 'l.as_of_date', 'day') }} as days_since_last_activity,
    l.requested_demo,
    l.has_pricing_burst,
    -- signals, by kind and recency
    q.intent_score,
    coalesce(s.funding_points, 0) as funding_points,
    s.funding_days_ago,
    coalesce(s.hiring_points, 0) as hiring_points,
    s.hiring_days_ago,
    coalesce(s.growth_points, 0) as growth_points,
    s.growth_days_ago,
    coalesce(s.bodacc_points, 0) as bodacc_points,
    s.bodacc_days_ago,
    coalesce(p.job_change_points, 0) as job_change_points,
    p.job_change_days_ago,
    -- the rules' verdicts on the same facts
    l.title_is_decision_role,
    l.took_decision_role,
    q.bant_budget,
    q.bant_authority,
    q.bant_need,
    q.bant_timing,
    q.lead_score
from leads as l
join {{ ref('int_leads__qualification') }} as q on q.as_of_date = l.as_of_date and q.lead_id = l.lead_id
left join {{ ref('int_companies__in_crm') }} as c on c.siren = l.siren
left join {{ ref('int_companies') }} as co on co.siren = l.siren
left join engagement_by_family as e on e.as_of_date = l.as_of_date and e.email = l.email
left join company_signals as s on s.as_of_date = l.as_of_date and s.siren = l.siren
left join person_signals as p on p.as_of_date = l.as_of_date and p.email = l.email
