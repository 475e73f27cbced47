{#- an environment variable rather than only a var: Dagster's daily refresh sets it, and dbt's partial parsing then
    re-reads this one file instead of the whole project, as a changed --vars would make it do -#}
{%- set scored = var('scored_dates', env_var('LEADS_SCORED_DATES', '') or 'with_backtest') -%}
{%- if scored not in ['with_backtest', 'today_only'] -%}
    {{ exceptions.raise_compiler_error("scored_dates (LEADS_SCORED_DATES or var scored_dates) is 'with_backtest' or 'today_only', not '" ~ scored ~ "'") }}
{%- endif -%}
-- The dates this run scores, one row each: today's as-of date (LEADS_AS_OF, else today in Europe/Paris) and, unless
-- scored_dates is 'today_only' (the daily refresh: LEADS_SCORED_DATES=today_only or var scored_dates), the
-- backtest's weekly dates. Every scoring model computes its rows at each of these dates from what was known on it,
-- and every row carries its as_of_date.
select
    as_of_date,
    as_of_date = {{ as_of_date() }} as is_today
from (
    select {{ as_of_date() }} as as_of_date
    {%- if scored == 'with_backtest' %}
    union
    select as_of_date from {{ ref('int_backtest__as_of_dates') }}
    {%- endif %}
) as dates
