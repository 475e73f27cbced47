-- The dates this run scores, one row each: today's as-of date (LEADS_AS_OF, else today in Europe/Paris) and, unless
-- scored_dates() is 'today_only' (the daily refresh: LEADS_SCORED_DATES=today_only or var scored_dates), the
-- backtest's weekly dates. Every scoring model computes its rows at each of these dates from what was known on it,
-- and every row carries its as_of_date.
select
    as_of_date,
    as_of_date = {{ as_of_date() }} as is_today
from (
    select {{ as_of_date() }} as as_of_date
    {%- if scored_dates() == 'with_backtest' %}
    union
    select as_of_date from {{ ref('int_backtest__as_of_dates') }}
    {%- endif %}
) as dates
