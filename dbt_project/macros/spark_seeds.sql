{#- Seeds on Spark's session method: its cursor pastes the values into the SQL text as they are (`sql % values`), so
    "L'Abergement" breaks the statement, `\b` (a word boundary in a rule's pattern) becomes a backspace and an empty
    cell becomes the text 'None'. Each value is written here as a Spark literal instead: null for an empty cell, a
    quoted string with its backslashes and quotes escaped otherwise, cast to the column's type. -#}
{% macro spark__load_csv_rows(model, agate_table) %}
    {%- set column_override = model['config'].get('column_types', {}) -%}
    {%- set types = [] -%}
    {%- for col_name in agate_table.column_names -%}
        {%- do types.append(column_override.get(col_name, adapter.convert_type(agate_table, loop.index0))) -%}
    {%- endfor -%}
    {%- set statements = [] -%}
    {%- for chunk in agate_table.rows | batch(get_batch_size()) -%}
        {%- set sql -%}
            insert into {{ this.render() }} values
            {%- for row in chunk %}
            ({%- for value in row -%}
                {{ spark_seed_literal(value, types[loop.index0]) }}{{ ',' if not loop.last }}
            {%- endfor -%}){{ ',' if not loop.last }}
            {%- endfor %}
        {%- endset -%}
        {%- do adapter.add_query(sql, abridge_sql_log=True) -%}
        {%- if loop.first %}{% do statements.append(sql) %}{% endif -%}
    {%- endfor -%}
    {{ return(statements[0] if statements else '') }}
{% endmacro %}

{% macro spark_seed_literal(value, type) -%}
    {%- if value is none -%}
        cast(null as {{ type }})
    {%- else -%}
        cast('{{ spark__escape_single_quotes(value | string) }}' as {{ type }})
    {%- endif -%}
{%- endmacro %}

{#- A text inside a Spark string literal: its backslashes doubled as well as its quotes escaped (dbt-spark escapes the
    quotes only, so a unit test's pattern `\b…` reached Spark as a backspace). dbt's unit-test fixtures and the seeds
    above both use it. -#}
{% macro spark__escape_single_quotes(expression) -%}
    {{ expression | replace("\\", "\\\\") | replace("'", "\\'") }}
{%- endmacro %}
