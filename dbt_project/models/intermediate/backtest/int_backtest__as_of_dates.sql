-- The past dates the backtest replays the scoring at: every 7 days, var backtest_weeks of them, the last one
-- var backtest_horizon_days before the as-of date, so that the outcome window after each of them has been seen whole.
select
    {{ backtest_as_of_date('generated_number - 1') }} as as_of_date,
    cast({{ dbt.dateadd('day', '-7 * (generated_number - 1)', as_of_date()) }} as date) as outcome_window_end
from ({{ dbt.generate_series(var('backtest_weeks')) }}) as weeks
