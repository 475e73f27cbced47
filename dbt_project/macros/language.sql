{#- The language of the words sales reads: LEADS_LANGUAGE when set (Dagster passes the pipeline's setting), else the
    var `language` of dbt_project.yml (the one default). 'fr' or 'en': the suffix of the seeds' word columns
    (reason_fr, reason_en; phrase_fr, phrase_en). -#}
{% macro language() -%}
    {%- set value = (env_var('LEADS_LANGUAGE', '') or var('language')) | string | trim | lower -%}
    {%- if value not in ['fr', 'en'] -%}
        {{ exceptions.raise_compiler_error("language (LEADS_LANGUAGE or var language) is 'fr' or 'en', not '" ~ value ~ "'") }}
    {%- endif -%}
    {{ return(value) }}
{%- endmacro %}

{#- The wording of a fixed phrase (seed reason_phrases, column phrase_<language>) as a SQL string; its {placeholders}
    are replaced by the model that uses it. -#}
{% macro phrase(key) -%}
    (select phrase_{{ language() }} from {{ ref('reason_phrases') }} where phrase_key = '{{ key }}')
{%- endmacro %}
