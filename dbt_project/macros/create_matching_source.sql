{#- The fuzzy tier's candidates come from a Python asset (Splink). When dbt runs alone, before that asset ever ran,
    the table exists empty so the project builds and the fuzzy tier simply finds nothing. One statement per call:
    Spark's session runs one at a time. -#}
{% macro create_matching_source() %}
    {% do run_query("create schema if not exists matching") %}
    {% do run_query(adapter.dispatch('create_matching_source_table')()) %}
{% endmacro %}

{% macro default__create_matching_source_table() -%}
    create table if not exists matching.crm_company_candidates (
        company_key {{ dbt.type_string() }}, siren {{ dbt.type_string() }}, siret {{ dbt.type_string() }},
        match_probability double, match_weight double, candidate_rank integer,
        registry_name {{ dbt.type_string() }}, registry_postal_code {{ dbt.type_string() }},
        registry_is_active boolean
    )
{%- endmacro %}

{#- On Spark the candidates are the lake's Parquet folder matching/crm_company_candidates (ingestion/lake.py writes
    it), declared with its columns: with no folder yet, the table is empty and the fuzzy tier finds nothing. -#}
{% macro spark__create_matching_source_table() -%}
    {%- do run_query("drop table if exists matching.crm_company_candidates") -%}
    create table matching.crm_company_candidates (
        company_key string, siren string, siret string, match_probability double, match_weight double,
        candidate_rank int, registry_name string, registry_postal_code string, registry_is_active boolean
    ) using parquet location '{{ lake_location('matching', 'crm_company_candidates') }}'
{%- endmacro %}
