-- Every behaviour that counts for engagement, per as-of date (int_scoring__as_of_dates), within the scoring window
-- (var scoring_window_days, the as-of day included, nothing after it): web actions and page views of known people
-- and of companies seen by reverse IP, human e-mail clicks and opens, and the pricing-burst bonus (var
-- pricing_burst_views pricing-page views within pricing_burst_days). Each row carries its points at its age
-- (int_scoring__activity_points: seeds/scoring/engagement_activity_weights halved every engagement_half_life_days).
-- Machine opens never count.
{%- set window_start = dbt.dateadd('day', 1 - var('scoring_window_days'), 'd.as_of_date') %}
{%- set window_end = dbt.dateadd('day', 1, 'd.as_of_date') %}
{#- the same bounds as constants, for the oldest and the newest date scored: the scans of the time-ordered event logs
    skip the row groups outside every window (a join on the dates alone would read all 13 months) -#}
{%- set first_window_start = dbt.dateadd('day', 1 - var('scoring_window_days'), earliest_scored_date()) %}
{%- set last_window_end = dbt.dateadd('day', 1, as_of_date()) %}
with as_of_dates as (
    select as_of_date from {{ ref('int_scoring__as_of_dates') }}
),

web as (
    select
        d.as_of_date,
        e.event_id as activity_id,
        e.occurred_at,
        case when e.is_known_person then e.email end as email,
        e.domain_siren,
        e.event_type,
        e.page_path,
        {{ age_in_days('e.occurred_at', 'd.as_of_date') }} as age_days
    from {{ ref('int_intent__web_events') }} as e
    join as_of_dates as d
      on e.occurred_at >= {{ window_start }}
     and e.occurred_at < {{ window_end }}
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
        from (select distinct page_path from web) as p
        join {{ ref('web_page_categories') }} as c on {{ regex_matches('p.page_path', 'c.path_pattern') }}
    ) as matched
    where preference = 1
),

web_activities as (
    select
        w.as_of_date,
        w.activity_id,
        w.occurred_at,
        w.age_days,
        w.email,
        w.domain_siren,
        case when w.event_type = 'page_view' then 'page_view:' || coalesce(c.page_category, 'other')
             else w.event_type end as activity
    from web as w
    left join page_categories as c on c.page_path = w.page_path
),

email_activities as (
    select
        d.as_of_date,
        e.sg_event_id as activity_id,
        e.occurred_at,
        {{ age_in_days('e.occurred_at', 'd.as_of_date') }} as age_days,
        e.email,
        cast(null as {{ dbt.type_string() }}) as domain_siren,
        'email_' || e.event as activity
    from {{ ref('int_intent__email_events') }} as e
    join as_of_dates as d
      on e.occurred_at >= {{ window_start }}
     and e.occurred_at < {{ window_end }}
    where e.is_known_person
      and e.event in ('click', 'open')
      and not e.is_machine_open
      and e.occurred_at >= {{ first_window_start }}
      and e.occurred_at < {{ last_window_end }}
),

-- the n-th pricing view after each one: a burst when it falls within pricing_burst_days (the end included)
pricing_views as (
    select
        as_of_date,
        email,
        occurred_at,
        lead(occurred_at, {{ var('pricing_burst_views') - 1 }}) over (
            partition by as_of_date, email order by occurred_at, activity_id) as nth_view_at
    from web_activities
    where activity = 'page_view:pricing' and email is not null
),

pricing_bursts as (
    select
        as_of_date,
        'pricing_burst:' || email as activity_id,
        max(nth_view_at) as occurred_at,
        email
    from pricing_views
    where nth_view_at <= {{ dbt.dateadd('day', var('pricing_burst_days'), 'occurred_at') }}
    group by as_of_date, email
),

activities as (
    select as_of_date, activity_id, occurred_at, age_days, email, domain_siren, activity from web_activities
    union all
    select as_of_date, activity_id, occurred_at, age_days, email, domain_siren, activity from email_activities
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
from activities as a
-- the points at the activity's age (the words are joined by the few models that show them: a text on each of the
-- tens of millions of rows made this model four times slower)
join {{ ref('int_scoring__activity_points') }} as p on p.activity = a.activity and p.age_days = a.age_days
