-- The oldest date the scoring models score is the constant earliest_scored_date() (macros/as_of.sql), which the
-- scored activities use to skip older events: were the backtest's dates changed without it, activities would be
-- left out silently.
select min(as_of_date) as oldest_scored_date
from {{ ref('int_scoring__as_of_dates') }}
having min(as_of_date) <> {{ earliest_scored_date() }}
