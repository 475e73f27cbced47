-- Intent of each company with scored signals, per as-of date: the sum of its signals' decayed points, the company's
-- intent score (that sum capped at 100; a lead's intent score also counts the person's own signals, in
-- int_leads__qualification), whether a signal fulfils BANT Budget or Timing, and the signals in words, newest first.
with signals as (
    select
        as_of_date, siren, points, fulfils_budget, fulfils_timing, occurred_on, signal_key,
        -- the days from the signal to the as-of date: the newest signal is listed first
        {{ dbt.datediff('occurred_on', 'as_of_date', 'day') }} as days_ago,
        -- in the language of the run (seed reason_phrases)
        reason || coalesce(' (' || detail || ')', '') || ' '
            || replace({{ phrase('on_date') }}, '{date}', cast(occurred_on as {{ dbt.type_string() }})) as words
    from {{ ref('int_signals__scored') }}
    where subject_type = 'company'
)

select
    as_of_date,
    siren,
    sum(points) as signal_points,
    cast(least(100, round(sum(points), 0)) as integer) as intent_score,
    max(case when fulfils_budget then 1 else 0 end) = 1 as has_budget_signal,
    max(case when fulfils_timing then 1 else 0 end) = 1 as has_timing_signal,
    {{ sorted_listagg('words', "'; '", ['days_ago', 'signal_key']) }} as recent_signals
from signals
group by as_of_date, siren
