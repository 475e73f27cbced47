{#- The scoring date: LEADS_AS_OF when set, else the day the run started in Europe/Paris. Every window and decay
    counts back from it, so a rerun with the same inputs and date gives the same tables. -#}
{% macro as_of_date() -%}
    {%- set value = env_var('LEADS_AS_OF', '') -%}
    {%- if not value -%}
        {%- set value = run_started_at.astimezone(modules.pytz.timezone('Europe/Paris')).strftime('%Y-%m-%d') -%}
    {%- endif -%}
    cast('{{ value }}' as date)
{%- endmacro %}

{#- Oldest instant of behaviour kept: the retention window (var behaviour_retention_months) before as-of. -#}
{% macro retention_start() -%}
    {{ dbt.dateadd('month', -1 * var('behaviour_retention_months'), as_of_date()) }}
{%- endmacro %}

{#- Which dates the scoring models score (int_scoring__as_of_dates): 'with_backtest' (the default: today's as-of date
    and the backtest's weekly dates) or 'today_only' (the daily refresh). From LEADS_SCORED_DATES, which a var
    scored_dates overrides: an environment variable keeps dbt's partial parsing, a changed --vars does not. -#}
{% macro scored_dates() -%}
    {%- set scored = var('scored_dates', env_var('LEADS_SCORED_DATES', '') or 'with_backtest') -%}
    {%- if scored not in ['with_backtest', 'today_only'] -%}
        {{ exceptions.raise_compiler_error("scored_dates (LEADS_SCORED_DATES or var scored_dates) is 'with_backtest' or 'today_only', not '" ~ scored ~ "'") }}
    {%- endif -%}
    {{ return(scored) }}
{%- endmacro %}

{#- The backtest's as-of date `weeks_back` weeks before its newest one (an integer or a SQL expression), the newest
    being var backtest_horizon_days before the as-of date: int_backtest__as_of_dates lists them, and
    earliest_scored_date() takes the oldest. -#}
{% macro backtest_as_of_date(weeks_back) -%}
    cast({{ dbt.dateadd('day', '-1 * (7 * (' ~ weeks_back ~ ') + ' ~ var('backtest_horizon_days') ~ ')', as_of_date()) }} as date)
{%- endmacro %}

{#- The earliest date int_scoring__as_of_dates holds, as a constant: the as-of date alone, or the oldest backtest date.
    A constant lets a scan of the time-ordered event logs skip the row groups before the oldest scoring window; the
    test assert_scored_dates_start_on_the_earliest_scored_date holds it to the dates model. -#}
{% macro earliest_scored_date() -%}
    {%- if scored_dates() == 'today_only' -%}
        {{ as_of_date() }}
    {%- else -%}
        {{ backtest_as_of_date(var('backtest_weeks') - 1) }}
    {%- endif -%}
{%- endmacro %}
