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
