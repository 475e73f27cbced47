-- Business signals that count for intent, per as-of date (int_scoring__as_of_dates): provider signals and BODACC
-- growth events, each given a signal_key of seeds/scoring/signal_weights (a hiring signal with many open roles is a
-- surge; a job change into a decision role is told apart from other job changes). Job changes belong to the person,
-- the rest to the company. Only the most recent signal of each kind per subject counts, within its window_days
-- (nothing after the as-of date), halved every half_life_days.
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
        -- in the language of the run (seed reason_phrases)
        case
            when s.signal_type = 'funding' and s.amount_eur is not null
                then replace({{ phrase('detail_millions_eur') }}, '{amount}',
                             replace(cast(round(s.amount_eur / 1000000.0, 1) as {{ dbt.type_string() }}), '.',
                                     {{ decimal_separator() }}))
            when s.signal_type = 'hiring' and s.headcount_open_roles is not null
                then replace({{ phrase('detail_open_roles') }}, '{roles}',
                             cast(s.headcount_open_roles as {{ dbt.type_string() }}))
            when s.signal_type = 'job_change' then replace({{ phrase('detail_new_job_title') }}, '{title}', s.new_job_title)
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
    select signal_id, occurred_on, siren, person_email, signal_key, detail, 'company' as subject_type
    from bodacc_signals
),

in_window as (
    select
        d.as_of_date,
        s.signal_id,
        s.subject_type,
        s.siren,
        s.person_email,
        s.signal_key,
        s.occurred_on,
        s.detail,
        {{ dbt.datediff('s.occurred_on', 'd.as_of_date', 'day') }} as age_days,
        w.points as full_points,
        w.half_life_days,
        w.counts_for_budget,
        w.counts_for_timing,
        w.reason_{{ language() }} as reason  -- the words in the language of the run
    from signals as s
    join {{ ref('signal_weights') }} as w on w.signal_key = s.signal_key
    join {{ ref('int_scoring__as_of_dates') }} as d
      on s.occurred_on <= d.as_of_date
     and s.occurred_on > {{ dbt.dateadd('day', '-1 * w.window_days', 'd.as_of_date') }}
    where (s.subject_type = 'company' and s.siren is not null)
       or (s.subject_type = 'person' and s.person_email is not null)
),

latest as (
    select
        as_of_date, signal_id, subject_type, siren, person_email, signal_key, occurred_on, detail, age_days,
        full_points, half_life_days, counts_for_budget, counts_for_timing, reason,
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
