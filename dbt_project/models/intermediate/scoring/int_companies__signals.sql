-- Intent of each company with scored signals: the sum of its signals' decayed points (intent score, capped at 100),
-- whether one fulfils BANT Budget or Timing, and the signals in words, newest first.
select
    siren,
    sum(points) as signal_points,
    cast(least(100, round(sum(points), 0)) as integer) as intent_score,
    max(case when fulfils_budget then 1 else 0 end) = 1 as has_budget_signal,
    max(case when fulfils_timing then 1 else 0 end) = 1 as has_timing_signal,
    {{ dbt.listagg("reason || coalesce(' (' || detail || ')', '') || ' on ' || cast(occurred_on as "
                   ~ dbt.type_string() ~ ")", "'; '", "order by occurred_on desc, signal_key") }} as recent_signals
from {{ ref('int_signals__scored') }}
where subject_type = 'company'
group by siren
