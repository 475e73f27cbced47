-- One row per registry company (SIREN) the CRM or the intent feeds touch: its firmographics and fit, the roll-up of
-- its people's engagement and of its anonymous visits (reverse IP), its signals, and its best lead's status.
with touched as (
    select siren from {{ ref('int_crm__people') }} where siren is not null
    union
    select siren from {{ ref('int_intent__signals') }} where siren is not null
    union
    select siren from {{ ref('int_intent__bodacc_events') }}
    union
    -- companies seen by reverse IP up to the as-of date: the log's distinct domains, not its 50 M rows tied to people
    select d.siren
    from (
        select distinct company_domain from {{ ref('int_intent__web_event_log') }}
        where occurred_at < {{ dbt.dateadd('day', 1, as_of_date()) }}
    ) as l
    join {{ ref('int_crm__company_domains') }} as d on d.domain = l.company_domain
    where d.siren is not null
),

people as (
    select distinct email, siren from {{ ref('int_crm__people') }} where email is not null and siren is not null
),

-- an activity counts once per company: a known person's through their company, an anonymous one through its domain
company_activities as (
    select distinct p.siren, a.activity_id, a.points
    from {{ ref('int_scoring__activities') }} as a
    join people as p on p.email = a.email
    where a.as_of_date = {{ as_of_date() }}
    union
    select domain_siren, activity_id, points
    from {{ ref('int_scoring__activities') }}
    where as_of_date = {{ as_of_date() }} and email is null and domain_siren is not null
),

engagement as (
    select siren, cast(least(100, round(sum(points), 0)) as integer) as engagement_score, count(*) as activities
    from company_activities
    group by siren
),

leads as (
    select
        siren,
        count(*) as leads,
        count(case when status = 'sql' then 1 end) as sql_leads,
        count(case when status = 'mql' then 1 end) as mql_leads,
        count(case when contactable then 1 end) as contactable_leads
    from {{ ref('int_leads__qualification') }}
    where as_of_date = {{ as_of_date() }} and siren is not null
    group by siren
),

best_lead as (
    select siren, lead_id as best_lead_id, status as best_lead_status, lead_score as best_lead_score
    from (
        select
            siren, lead_id, status, lead_score,
            row_number() over (
                partition by siren
                order by case status when 'sql' then 1 when 'mql' then 2 when 'lead' then 3 else 4 end,
                         lead_score desc, lead_id) as preference
        from {{ ref('int_leads__qualification') }}
        where as_of_date = {{ as_of_date() }} and siren is not null
    ) as ranked
    where preference = 1
)

select
    c.siren,
    c.company_name as registered_name,
    c.naf_code,
    c.naf_label,
    c.headcount_band,
    c.headcount_band_label,
    cast(c.revenue_eur as decimal(18, 2)) as revenue_eur,  -- money: exact, as BI tools expect it
    c.departement,
    c.region,
    c.region_name,
    c.is_active,
    c.is_diffusible,
    d.disqualifying_event,
    d.disqualifying_event_on,
    not c.is_active or d.disqualifying_event is not null as is_disqualified,
    coalesce(l.leads, 0) > 0 as in_crm,
    coalesce(l.leads, 0) as leads,
    coalesce(l.mql_leads, 0) as mql_leads,
    coalesce(l.sql_leads, 0) as sql_leads,
    coalesce(l.contactable_leads, 0) as contactable_leads,
    f.fit_score,
    coalesce(e.engagement_score, 0) as engagement_score,
    coalesce(e.activities, 0) as activities,
    coalesce(s.intent_score, 0) as intent_score,
    {{ weighted_score('lead_score_weights', {'fit': 'f.fit_score', 'engagement': 'e.engagement_score',
                                              'intent': 's.intent_score'}) }} as account_score,
    s.recent_signals,
    b.best_lead_id,
    b.best_lead_status,
    b.best_lead_score,
    {{ as_of_date() }} as as_of
from touched as t
join {{ ref('int_companies') }} as c on c.siren = t.siren
join {{ ref('int_companies__fit') }} as f on f.siren = t.siren
left join engagement as e on e.siren = t.siren
left join {{ ref('int_companies__signals') }} as s on s.as_of_date = {{ as_of_date() }} and s.siren = t.siren
left join leads as l on l.siren = t.siren
left join best_lead as b on b.siren = t.siren
left join {{ ref('int_companies__legal_disqualifications') }} as d on d.as_of_date = {{ as_of_date() }} and d.siren = t.siren
