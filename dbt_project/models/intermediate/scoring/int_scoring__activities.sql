-- Every behaviour that counts for engagement, within the scoring window (var scoring_window_days, as-of included):
-- web actions and page views of known people and of companies seen by reverse IP, human e-mail clicks and opens, and
-- the pricing-burst bonus (var pricing_burst_views pricing-page views within pricing_burst_days). Each row carries
-- its points from seeds/scoring/engagement_activity_weights, halved every engagement_half_life_days of age.
-- Machine opens never count.
with web as (
    select
        event_id as activity_id,
        occurred_at,
        case when is_known_person then email end as email,
        domain_siren,
        event_type,
        page_path,
        {{ age_in_days('occurred_at') }} as age_days
    from {{ ref('int_intent__web_events') }}
    where occurred_at >= {{ dbt.dateadd('day', 1 - var('scoring_window_days'), as_of_date()) }}
      and (is_known_person or domain_siren is not null)
),

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
        sg_event_id as activity_id,
        occurred_at,
        {{ age_in_days('occurred_at') }} as age_days,
        email,
        cast(null as {{ dbt.type_string() }}) as domain_siren,
        'email_' || event as activity
    from {{ ref('int_intent__email_events') }}
    where is_known_person
      and event in ('click', 'open')
      and not is_machine_open
      and occurred_at >= {{ dbt.dateadd('day', 1 - var('scoring_window_days'), as_of_date()) }}
),

-- the n-th pricing view after each one: a burst when it falls within pricing_burst_days (the end included)
pricing_views as (
    select
        email,
        occurred_at,
        lead(occurred_at, {{ var('pricing_burst_views') - 1 }}) over (
            partition by email order by occurred_at, activity_id) as nth_view_at
    from web_activities
    where activity = 'page_view:pricing' and email is not null
),

pricing_bursts as (
    select
        'pricing_burst:' || email as activity_id,
        max(nth_view_at) as occurred_at,
        email
    from pricing_views
    where nth_view_at <= {{ dbt.dateadd('day', var('pricing_burst_days'), 'occurred_at') }}
    group by email
),

activities as (
    select activity_id, occurred_at, age_days, email, domain_siren, activity from web_activities
    union all
    select activity_id, occurred_at, age_days, email, domain_siren, activity from email_activities
    union all
    select activity_id, occurred_at, {{ age_in_days('occurred_at') }}, email, cast(null as {{ dbt.type_string() }}),
           'pricing_burst'
    from pricing_bursts
)

select
    a.activity_id,
    a.occurred_at,
    a.age_days,
    a.email,
    a.domain_siren,
    a.activity,
    w.is_buying_content,
    w.points as full_points,
    {{ decayed_points('w.points', 'a.age_days', var('engagement_half_life_days')) }} as points,
    -- the pricing-burst wording names the current settings
    replace(replace(w.reason, '{views}', '{{ var("pricing_burst_views") }}'), '{days}', '{{ var("pricing_burst_days") }}')
        as reason
from activities as a
join {{ ref('engagement_activity_weights') }} as w on w.activity = a.activity
where a.age_days >= 0
