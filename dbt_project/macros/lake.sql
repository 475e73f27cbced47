{#- On Spark, the landed tables are Parquet folders of the lake (ingestion/lake.py writes them from DuckDB's raw and
    matching schemas): each run declares every one the project reads — the sources of schema raw and the load log — as an external table over its folder, dropped and declared again so that a column landed since is
    seen. Dropping an external table leaves its files. On DuckDB the sources are the warehouse's own tables: nothing
    to do. -#}
{% macro declare_lake_tables() %}
    {{ return(adapter.dispatch('declare_lake_tables')()) }}
{% endmacro %}

{% macro default__declare_lake_tables() %}{% endmacro %}

{% macro spark__declare_lake_tables() %}
    {%- if execute -%}
        {%- set lake = env_var('LEADS_LAKE_DIR', '') or 'data/lake' -%}
        {%- set lake = lake if lake.startswith('/') else '../' ~ lake -%}
        {%- set tables = [('raw', '_load_log')] -%}
        {%- for source in graph.sources.values() if source.schema == 'raw' -%}
            {%- do tables.append((source.schema, source.identifier)) -%}
        {%- endfor -%}
        {%- for schema, table in tables | unique | list -%}
            {%- do run_query("create schema if not exists " ~ schema) -%}
            {%- do run_query("drop table if exists " ~ schema ~ "." ~ table) -%}
            {%- do run_query("create table " ~ schema ~ "." ~ table ~ " using parquet location '"
                             ~ lake ~ "/" ~ schema ~ "/" ~ table ~ "'") -%}
        {%- endfor -%}
    {%- endif -%}
{% endmacro %}
