{#- on-run-end: a dbt invocation that built at least one mart is recorded in ops.dbt_builds (times in UTC), whether
    Dagster or an analyst's `dbt build` ran it. The publication notes the build it copied; the summary says when the
    warehouse holds a newer one than BI tools read. -#}
{% macro record_build(results) %}
    {%- if execute -%}
        {%- set marts_built = [] -%}
        {%- for result in results if result.node.resource_type == 'model' and result.status == 'success'
                                      and 'marts' in result.node.fqn -%}
            {%- do marts_built.append(result.node.name) -%}
        {%- endfor -%}
        {%- if marts_built -%}
            {%- do run_query("create schema if not exists ops") -%}
            {%- do run_query("create table if not exists ops.dbt_builds (invocation_id " ~ dbt.type_string() ~ ", started_at timestamp, "
                             ~ "finished_at timestamp, marts_built integer)") -%}
            {%- do run_query("insert into ops.dbt_builds values ('" ~ invocation_id ~ "', cast('"
                             ~ run_started_at.strftime('%Y-%m-%d %H:%M:%S') ~ "' as timestamp), cast('"
                             ~ modules.datetime.datetime.utcnow().strftime('%Y-%m-%d %H:%M:%S') ~ "' as timestamp), "
                             ~ (marts_built | length) ~ ")") -%}
        {%- endif -%}
    {%- endif -%}
{% endmacro %}
