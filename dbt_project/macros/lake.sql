{#- On Spark, the landed tables are Parquet folders of the lake (ingestion/lake.py writes them from DuckDB's raw and
    matching schemas): each run declares every one the project reads (the sources of schema raw, and the load log)
    as an external table over its folder, dropped and declared again so that a column landed since is seen. Dropping
    an external table leaves its files. The matching candidates are declared by create_matching_source. On DuckDB the
    sources are the warehouse's own tables: nothing to do. -#}
{% macro declare_lake_tables() %}
    {{ return(adapter.dispatch('declare_lake_tables')()) }}
{% endmacro %}

{% macro default__declare_lake_tables() %}{% endmacro %}

{% macro spark__declare_lake_tables() %}
    {%- if execute -%}
        {%- set tables = [('raw', '_load_log')] -%}
        {%- for source in graph.sources.values() if source.schema == 'raw' -%}
            {%- do tables.append((source.schema, source.identifier)) -%}
        {%- endfor -%}
        {%- for schema, table in tables | unique | list -%}
            {%- do run_query("create schema if not exists " ~ schema) -%}
            {%- do run_query("drop table if exists " ~ schema ~ "." ~ table) -%}
            {%- do run_query("create table " ~ schema ~ "." ~ table ~ " using parquet location '"
                             ~ lake_location(schema, table) ~ "'") -%}
        {%- endfor -%}
    {%- endif -%}
{% endmacro %}

{#- Where the lake keeps a landed table: <lake>/<schema>/<table>. A relative LEADS_LAKE_DIR (the default data/lake)
    is written relative to the schema's folder in Spark's warehouse, <lake>/warehouse/<schema>.db, which is how Spark
    resolves a relative location, whatever folder dbt runs from. -#}
{% macro lake_location(schema, table) -%}
    {%- set lake = env_var('LEADS_LAKE_DIR', '') -%}
    {{- lake ~ '/' ~ schema ~ '/' ~ table if lake.startswith('/') else '../../' ~ schema ~ '/' ~ table -}}
{%- endmacro %}
