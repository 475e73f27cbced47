{#- The scoring rules, written once, for one as-of date or many.

    The daily models call them without `as_of_dates`: every window and decay counts back from as_of_date() and the
    rows carry that date. The backtest calls them with `as_of_dates`, a relation with one `as_of_date` column: the
    rules are evaluated at each of those dates with only what was known on it (nothing after the as-of date enters a
    window), and every row carries the date it was scored at. -#}

{#- The as-of expression the rules use, and the join that brings the dates in. -#}
{% macro _as_of(as_of_dates) -%}
    {{ 'd.as_of_date' if as_of_dates else as_of_date() }}
{%- endmacro %}
{% macro _with_as_of_dates(as_of_dates) -%}
    {%- if as_of_dates %}cross join (select as_of_date from {{ as_of_dates }}) as d{% endif -%}
{%- endmacro %}

{#- Every behaviour that counts for engagement, within the scoring window (var scoring_window_days, as-of day
    included, nothing after it): web actions and page views of known people and of companies seen by reverse IP,
    human e-mail clicks and opens, and the pricing-burst bonus (var pricing_burst_views pricing-page views within
    pricing_burst_days). Each row carries its points from seeds/scoring/engagement_activity_weights, halved every
    engagement_half_life_days of age. Machine opens never count. -#}
{% macro scored_activities(as_of_dates=none) -%}
{%- set as_of = _as_of(as_of_dates) -%}
{%- set window_start = dbt.dateadd('day', 1 - var('scoring_window_days'), as_of) -%}
{%- set window_end = dbt.dateadd('day', 1, as_of) -%}
with web as (
    select
        {{ as_of }} as as_of_date,
        e.event_id as activity_id,
        e.occurred_at,
        case when e.is_known_person then e.email end as email,
        e.domain_siren,
        e.event_type,
        e.page_path,
        {{ age_in_days('e.occurred_at', as_of) }} as age_days
    from {{ ref('int_intent__web_events') }} as e
    {{ _with_as_of_dates(as_of_dates) }}
    where e.occurred_at >= {{ window_start }}
      and e.occurred_at < {{ window_end }}
      and (e.is_known_person or e.domain_siren is not null)
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
        {{ as_of }} as as_of_date,
        e.sg_event_id as activity_id,
        e.occurred_at,
        {{ age_in_days('e.occurred_at', as_of) }} as age_days,
        e.email,
        cast(null as {{ dbt.type_string() }}) as domain_siren,
        'email_' || e.event as activity
    from {{ ref('int_intent__email_events') }} as e
    {{ _with_as_of_dates(as_of_dates) }}
    where e.is_known_person
      and e.event in ('click', 'open')
      and not e.is_machine_open
      and e.occurred_at >= {{ window_start }}
      and e.occurred_at < {{ window_end }}
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
),

-- each activity's points at each age in the window (0 to scoring_window_days - 1 days, a list written out at compile
-- time): the decay and the wording are computed once per (activity, age), not once per activity row (millions at
-- national scale); reading the ages from the activities instead would make the engine materialise them
ages as (
    {%- for age in range(var('scoring_window_days')) %}
    select {{ age }} as age_days{{ ' union all' if not loop.last }}
    {%- endfor %}
),

weights as (
    select
        w.activity,
        ages.age_days,
        w.is_buying_content,
        w.points as full_points,
        {{ decayed_points('w.points', 'ages.age_days', var('engagement_half_life_days')) }} as points,
        -- the pricing-burst wording names the current settings
        replace(replace(w.reason, '{views}', '{{ var("pricing_burst_views") }}'), '{days}', '{{ var("pricing_burst_days") }}')
            as reason
    from {{ ref('engagement_activity_weights') }} as w
    cross join ages
)

select
    a.as_of_date,
    a.activity_id,
    a.occurred_at,
    a.age_days,
    a.email,
    a.domain_siren,
    a.activity,
    w.is_buying_content,
    w.full_points,
    w.points,
    w.reason
from activities as a
join weights as w on w.activity = a.activity and w.age_days = a.age_days
{%- endmacro %}

{#- Engagement of each known person (by e-mail) at each as-of date: the sum of decayed activity points, capped at
    100, and the behaviour BANT and the MQL rule look at (a demo request, a pricing burst, buying content). -#}
{% macro person_engagement(activities) -%}
select
    as_of_date,
    email,
    cast(least(100, round(sum(points), 0)) as integer) as engagement_score,
    sum(points) as engagement_points,
    count(*) as activities,
    max(occurred_at) as last_activity_at,
    max(case when activity = 'demo_request' then 1 else 0 end) = 1 as requested_demo,
    max(case when activity = 'pricing_burst' then 1 else 0 end) = 1 as has_pricing_burst,
    max(case when is_buying_content then 1 else 0 end) = 1 as engaged_with_buying_content
from {{ activities }}
where email is not null
group by as_of_date, email
{%- endmacro %}

{#- Business signals that count for intent: provider signals and BODACC growth events, each given a signal_key of
    seeds/scoring/signal_weights (a hiring signal with many open roles is a surge; a job change into a decision role
    is told apart from other job changes). Job changes belong to the person, the rest to the company. Only the most
    recent signal of each kind per subject counts, within its window_days (nothing after the as-of date), halved
    every half_life_days. -#}
{% macro scored_signals(as_of_dates=none) -%}
{%- set as_of = _as_of(as_of_dates) -%}
with provider_signals as (
    select
        s.signal_id,
        cast(s.occurred_at as date) as occurred_on,
        s.siren,
        s.person_email,
        case
            when s.signal_type = 'hiring' and s.headcount_open_roles >= {{ var('hiring_surge_min_open_roles') }}
                then 'hiring_surge'
            when s.signal_type = 'job_change' and t.is_decision_role then 'job_change_decision_role'
            else s.signal_type
        end as signal_key,
        case
            when s.signal_type = 'funding' and s.amount_eur is not null
                then cast(round(s.amount_eur / 1000000.0, 1) as {{ dbt.type_string() }}) || ' M€'
            when s.signal_type = 'hiring' and s.headcount_open_roles is not null
                then cast(s.headcount_open_roles as {{ dbt.type_string() }}) || ' open roles'
            when s.signal_type = 'job_change' then 'as ' || s.new_job_title
        end as detail
    from {{ ref('int_intent__signals') }} as s
    left join {{ ref('int_scoring__job_titles') }} as t on t.job_title = s.new_job_title
),

bodacc_signals as (
    select
        announcement_id as signal_id,
        published_on as occurred_on,
        siren,
        cast(null as {{ dbt.type_string() }}) as person_email,
        'bodacc_' || event_category as signal_key,
        cast(null as {{ dbt.type_string() }}) as detail
    from {{ ref('int_intent__bodacc_events') }}
    where event_category in ('capital_increase', 'new_establishment')
),

signals as (
    select
        signal_id, occurred_on, siren, person_email, signal_key, detail,
        case when signal_key like 'job_change%' then 'person' else 'company' end as subject_type
    from provider_signals
    union all
    select signal_id, occurred_on, siren, person_email, signal_key, detail, 'company'
    from bodacc_signals
),

in_window as (
    select
        {{ as_of }} as as_of_date,
        s.*,
        {{ dbt.datediff('s.occurred_on', as_of, 'day') }} as age_days,
        w.points as full_points,
        w.half_life_days,
        w.counts_for_budget,
        w.counts_for_timing,
        w.reason
    from signals as s
    join {{ ref('signal_weights') }} as w on w.signal_key = s.signal_key
    {{ _with_as_of_dates(as_of_dates) }}
    where {{ dbt.datediff('s.occurred_on', as_of, 'day') }} between 0 and w.window_days - 1
      and ((s.subject_type = 'company' and s.siren is not null)
           or (s.subject_type = 'person' and s.person_email is not null))
),

latest as (
    select
        *,
        row_number() over (
            partition by as_of_date, subject_type,
                         case when subject_type = 'person' then person_email else siren end, signal_key
            order by occurred_on desc, signal_id) as recency
    from in_window
)

select
    as_of_date,
    signal_id,
    subject_type,
    case when subject_type = 'company' then siren end as siren,
    case when subject_type = 'person' then lower(person_email) end as email,
    signal_key,
    occurred_on,
    age_days,
    detail,
    full_points,
    {{ decayed_points('full_points', 'age_days', 'half_life_days') }} as points,
    counts_for_budget and age_days < {{ var('bant_budget_signal_days') }} as fulfils_budget,
    counts_for_timing and age_days < {{ var('bant_timing_signal_days') }} as fulfils_timing,
    signal_key = 'job_change_decision_role' as fulfils_authority,
    reason
from latest
where recency = 1
{%- endmacro %}

{#- Intent of each company with scored signals, per as-of date: the sum of its signals' decayed points (intent
    score, capped at 100), whether one fulfils BANT Budget or Timing, and the signals in words, newest first. -#}
{% macro company_intent(scored_signals) -%}
select
    as_of_date,
    siren,
    sum(points) as signal_points,
    cast(least(100, round(sum(points), 0)) as integer) as intent_score,
    max(case when fulfils_budget then 1 else 0 end) = 1 as has_budget_signal,
    max(case when fulfils_timing then 1 else 0 end) = 1 as has_timing_signal,
    {{ dbt.listagg("reason || coalesce(' (' || detail || ')', '') || ' on ' || cast(occurred_on as "
                   ~ dbt.type_string() ~ ")", "'; '", "order by occurred_on desc, signal_key") }} as recent_signals
from {{ scored_signals }}
where subject_type = 'company'
group by as_of_date, siren
{%- endmacro %}

{#- Intent of each person (a job change into a decision role), per as-of date. -#}
{% macro person_intent(scored_signals) -%}
select
    as_of_date,
    email,
    sum(points) as signal_points,
    max(case when fulfils_authority then 1 else 0 end) = 1 as took_decision_role
from {{ scored_signals }}
where subject_type = 'person'
group by as_of_date, email
{%- endmacro %}

{#- The qualification of leads from their features (one row per lead, or per lead and as-of date): lead score, the
    four BANT flags, the status with what decided it, and whether the person may be contacted. Rules in the order
    of the data contract: disqualified, then sql, then mql, then lead. Every threshold is a var of dbt_project.yml. -#}
{% macro lead_qualification(features) -%}
with scored as (
    select
        *,
        {{ weighted_score('lead_score_weights',
                          {'fit': 'fit_score', 'engagement': 'engagement_score', 'intent': 'intent_score'}) }}
            as lead_score,
        -- Budget: a big enough company, or money just raised
        coalesce(revenue_eur >= {{ var('bant_budget_min_revenue_eur') }}, false)
            or coalesce(headcount_min >= {{ var('bant_budget_min_headcount') }}, false)
            or has_budget_signal as bant_budget,
        -- Authority: the title names a decision role, or a job change just put the person in one
        title_is_decision_role or took_decision_role as bant_authority,
        -- Need: buying content (pricing or product pages, demo, download, webinar) in the scoring window
        engaged_with_buying_content as bant_need,
        -- Timing: a demo request, a pricing burst, or a recent funding, hiring or leadership change
        requested_demo or has_pricing_burst or has_timing_signal as bant_timing
    from {{ features }}
),

decided as (
    select
        *,
        case
            when company_is_ceased then 'company_ceased'
            when disqualifying_event is not null then 'bodacc_' || disqualifying_event
            when crm_marked_unqualified then 'crm_unqualified'
        end as disqualification_source,
        case
            when crm_stage_is_sql then 'crm_lifecycle_stage'
            when is_converted then 'crm_converted_lead'
            when has_open_deal then 'open_opportunity'
            when bant_budget and bant_authority and bant_need and bant_timing then 'bant'
        end as sql_evidence,
        case
            when requested_demo then 'demo_request'
            when lead_score >= {{ var('mql_threshold') }} then 'lead_score'
        end as mql_source
    from scored
)

select
    *,
    case
        when disqualification_source is not null then 'disqualified'
        when sql_evidence is not null then 'sql'
        when mql_source is not null then 'mql'
        else 'lead'
    end as status,
    case when disqualification_source is null then sql_evidence end as sql_source,
    case
        when disqualification_source = 'company_ceased' then 'Disqualified: the company has ceased (SIRENE)'
        when disqualification_source = 'bodacc_collective_proceeding'
            then 'Disqualified: collective proceeding published in BODACC on '
                 || cast(disqualifying_event_on as {{ dbt.type_string() }})
        when disqualification_source = 'bodacc_deregistration'
            then 'Disqualified: deregistration published in BODACC on '
                 || cast(disqualifying_event_on as {{ dbt.type_string() }})
        when disqualification_source = 'crm_unqualified'
            then 'Disqualified: marked "' || lead_status || '" in ' || crm_source
        when sql_evidence = 'crm_lifecycle_stage'
            then 'SQL: lifecycle stage "' || lifecycle_stage || '" in ' || crm_source
        when sql_evidence = 'crm_converted_lead' then 'SQL: lead converted in ' || crm_source
        when sql_evidence = 'open_opportunity' then 'SQL: an open opportunity in ' || crm_source
        when sql_evidence = 'bant' then 'SQL: Budget, Authority, Need and Timing all hold'
        when mql_source = 'demo_request' then 'MQL: requested a demo'
        when mql_source = 'lead_score'
            then 'MQL: lead score ' || cast(lead_score as {{ dbt.type_string() }}) || ' reaches the MQL threshold '
                 || '{{ var("mql_threshold") }}'
        else 'Lead: lead score ' || cast(lead_score as {{ dbt.type_string() }}) || ' below the MQL threshold '
             || '{{ var("mql_threshold") }}'
    end as status_reason,
    not email_opt_out and not email_bounced and suppression_event is null and coalesce(company_is_diffusible, true)
        as contactable,
    case
        when email_opt_out then 'opted out in the CRM'
        when email_bounced then 'e-mail bounced (CRM)'
        when suppression_event = 'bounce' then 'e-mail bounced'
        when suppression_event is not null then 'e-mail ' || replace(suppression_event, '_', ' ')
        when not coalesce(company_is_diffusible, true)
            then 'company opposed to prospecting (SIRENE diffusion partielle)'
    end as not_contactable_reason
from decided
{%- endmacro %}

{#- Companies that BODACC says cannot buy, per as-of date: a collective proceeding (sauvegarde, redressement,
    liquidation) or a deregistration published on or before it, whenever. The latest such announcement is the
    reason. -#}
{% macro legal_disqualifications(as_of_dates=none) -%}
{%- set as_of = _as_of(as_of_dates) -%}
select
    as_of_date,
    siren,
    event_category as disqualifying_event,
    published_on as disqualifying_event_on,
    announcement_id as disqualifying_announcement_id
from (
    select
        {{ as_of }} as as_of_date,
        e.*,
        row_number() over (partition by {{ as_of }}, e.siren order by e.published_on desc, e.announcement_id)
            as recency
    from {{ ref('int_intent__bodacc_events') }} as e
    {{ _with_as_of_dates(as_of_dates) }}
    where e.is_disqualifying
      and e.published_on <= {{ as_of }}
) as events
where recency = 1
{%- endmacro %}
