{#- The fuzzy tier's candidates come from a Python asset (Splink). When dbt runs alone, before that asset ever ran,
    the table exists empty so the project builds and the fuzzy tier simply finds nothing. -#}
{% macro create_matching_source() %}
    {% set sql %}
        create schema if not exists matching;
        create table if not exists matching.crm_company_candidates (
            company_key varchar, siren varchar, siret varchar, match_probability double, match_weight double,
            candidate_rank integer,
            registry_name varchar, registry_postal_code varchar, registry_is_active boolean
        );
    {% endset %}
    {% do run_query(sql) %}
{% endmacro %}
