-- How well the statuses of the backtest foretold what happened within var backtest_horizon_days: for leads flagged
-- MQL or better, and SQL, against an opportunity and a won deal — precision (of the flagged, the share that
-- happened), recall (of what happened, the share flagged before), and the base rate of the outcome.
with scores as (
    select status, converted, won from {{ ref('int_backtest__lead_scores') }}
),

flags as (
    select 'mql_or_sql' as flagged_as, status in ('mql', 'sql') as flagged, converted, won from scores
    union all
    select 'sql', status = 'sql', converted, won from scores
),

outcomes as (
    select flagged_as, 'opportunity' as outcome, flagged, converted as happened from flags
    union all
    select flagged_as, 'won', flagged, won from flags
)

select
    flagged_as,
    outcome,
    count(*) as lead_dates,
    count(case when flagged then 1 end) as flagged,
    count(case when happened then 1 end) as happened,
    count(case when flagged and happened then 1 end) as flagged_and_happened,
    {{ round_half_up("cast(count(case when flagged and happened then 1 end) as double) / nullif(count(case when flagged then 1 end), 0)", 4) }} as precision,
    {{ round_half_up("cast(count(case when flagged and happened then 1 end) as double) / nullif(count(case when happened then 1 end), 0)", 4) }} as recall,
    {{ round_half_up("cast(count(case when happened then 1 end) as double) / count(*)", 4) }} as base_rate
from outcomes
group by flagged_as, outcome
