-- Engagement of each known person at each backtest as-of date, from the behaviour seen up to that date only: the
-- daily rules (macros/scoring_rules.sql) evaluated at every date of int_backtest__as_of_dates.
with activities as (
    {{ scored_activities(ref('int_backtest__as_of_dates')) }}
)

{{ person_engagement('activities') }}
