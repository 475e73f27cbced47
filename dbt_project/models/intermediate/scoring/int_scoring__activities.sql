-- Every behaviour that counts for engagement, per as-of date (int_scoring__as_of_dates), within the scoring window
-- (var scoring_window_days, the as-of day included, nothing after it): web actions and page views of known people
-- and of companies seen by reverse IP, human e-mail clicks and opens, and the pricing-burst bonus (var
-- pricing_burst_views pricing-page views within pricing_burst_days). Each row carries its points at its age
-- (int_scoring__activity_points: seeds/scoring/engagement_activity_weights halved every engagement_half_life_days).
-- Machine opens never count.
{%- set window_end = dbt.dateadd('day', 1, 'd.as_of_date') %}
{#- the bounds of every window together, as constants (the oldest date's start, the newest date's end): the scans of
    the time-ordered event logs skip the row groups outside them (a join on the dates alone would read all 13 months) -#}
{%- set first_window_start = dbt.dateadd('day', 1 - var('scoring_window_days'), earliest_scored_date()) %}
{%- set last_window_end = dbt.dateadd('day', 1, as_of_date()) %}
with as_of_dates as (
    select as_of_date from {{ ref('int_scoring__as_of_dates') }}
),

-- each date scored with the days of its window, one row per (as_of_date, day): an activity joins the dates whose
-- window holds its day by equality (a range join on the dates would sort tens of millions of rows)
window_days as (
    select
        d.as_of_date,
        cast({{ dbt.dateadd('day', '-1 * ages.age_days', 'd.as_of_date') }} as date) as activity_day,
        ages.age_days
    from as_of_dates as d
    cross join (
        {{ scoring_window_ages() }}
    ) as ages
),

-- web actions and page views of known people and of companies seen by reverse IP, in the window of any date scored
web_events as (
    select
        e.event_id,
        e.occurred_at,
        case when e.is_known_person then e.email end as email,
        e.domain_siren,
        e.event_type,
        e.page_path
    from {{ ref('int_intent__web_events') }} as e
    where (e.is_known_person or e.domain_siren is not null)
      and e.occurred_at >= {{ first_window_start }}
      and e.occurred_at < {{ last_window_end }}
),

-- each page's category by seeds/scoring/web_page_categories: the matching pattern of highest priority
page_categories as (
    select page_path, page_category
    from (
        select
            p.page_path,
            c.page_category,
            row_number() over (partition by p.page_path order by c.priority) as preference
        from (select distinct page_path from web_events) as p
        join {{ ref('web_page_categories') }} as c on {{ regex_matches('p.page_path', 'c.path_pattern') }}
    ) as matched
    where preference = 1
),

web_activities as (
    select
        w.event_id as activity_id,
        w.occurred_at,
        w.email,
        w.domain_siren,
        case when w.event_type = 'page_view' then 'page_view:' || coalesce(c.page_category, 'other')
             else w.event_type end as activity
    from web_events as w
    left join page_categories as c on c.page_path = w.page_path
),

email_activities as (
    select
        e.sg_event_id as activity_id,
        e.occurred_at,
        e.email,
        cast(null as {{ dbt.type_string() }}) as domain_siren,
        'email_' || e.event as activity
    from {{ ref('int_intent__email_events') }} as e
    where e.is_known_person
      and e.event in ('click', 'open')
      and not e.is_machine_open
      and e.occurred_at >= {{ first_window_start }}
      and e.occurred_at < {{ last_window_end }}
),

-- the n-th pricing view after each one (the person's views in time order)
pricing_views as (
    select
        email,
        occurred_at,
        lead(occurred_at, {{ var('pricing_burst_views') - 1 }}) over (
            partition by email order by occurred_at, activity_id) as nth_view_at
    from web_activities
    where activity = 'page_view:pricing' and email is not null
),

-- a burst at a date: a view in the date's window whose n-th view followed within pricing_burst_days (the end
-- included) and by the date's end; the burst happened at the latest such n-th view
pricing_bursts as (
    select
        d.as_of_date,
        'pricing_burst:' || v.email as activity_id,
        max(v.nth_view_at) as occurred_at,
        v.email
    from pricing_views as v
    join window_days as d on d.activity_day = cast(v.occurred_at as date)
    where v.nth_view_at <= {{ dbt.dateadd('day', var('pricing_burst_days'), 'v.occurred_at') }}
      and v.nth_view_at < {{ window_end }}
    group by d.as_of_date, v.email
),

activities as (
    select activity_id, occurred_at, email, domain_siren, activity from web_activities
    union all
    select activity_id, occurred_at, email, domain_siren, activity from email_activities
),

dated_activities as (
    select d.as_of_date, a.activity_id, a.occurred_at, d.age_days, a.email, a.domain_siren, a.activity
    from activities as a
    join window_days as d on d.activity_day = cast(a.occurred_at as date)
    union all
    select as_of_date, activity_id, occurred_at, {{ age_in_days('occurred_at', 'as_of_date') }}, email,
           cast(null as {{ dbt.type_string() }}), 'pricing_burst'
    from pricing_bursts
)

select
    a.as_of_date,
    a.activity_id,
    a.occurred_at,
    a.age_days,
    a.email,
    a.domain_siren,
    a.activity,
    p.is_buying_content,
    p.points
from dated_activities as a
-- the points at the activity's age (the words are joined by the few models that show them: a text on each of the
-- tens of millions of rows made this model four times slower)
join {{ ref('int_scoring__activity_points') }} as p on p.activity = a.activity and p.age_days = a.age_days
