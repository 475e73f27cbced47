{#- Spark's versions of the few expressions whose portable form (default__) would not give DuckDB's results. Each is
    checked against DuckDB's by the parity test (tests/test_spark_parity.py, `make test-spark`). -#}

{#- dbt's safe_cast is a plain cast on Spark, which raises in ANSI mode (Spark 4's default): a value that does not
    parse is null, as DuckDB's try_cast makes it. -#}
{% macro spark__safe_cast(field, type) -%}
    try_cast({{ field }} as {{ type }})
{%- endmacro %}

{#- Text without its accents: DuckDB's strip_accents; elsewhere the Latin letters French and its neighbours use. -#}
{% macro strip_accents(column) -%}
    {{ return(adapter.dispatch('strip_accents')(column)) }}
{%- endmacro %}
{% macro default__strip_accents(column) -%}
    translate({{ column }}, 'ÀÁÂÃÄÅÇÈÉÊËÌÍÎÏÑÒÓÔÕÖÙÚÛÜÝŸàáâãäåçèéêëìíîïñòóôõöùúûüýÿ',
              'AAAAAACEEEEIIIINOOOOOUUUUYYaaaaaaceeeeiiiinooooouuuuyy')
{%- endmacro %}
{% macro duckdb__strip_accents(column) -%}
    strip_accents({{ column }})
{%- endmacro %}

{#- In a Spark string literal a backslash escapes the next character: a regular expression's \s is written \\s. -#}
{% macro spark__normalize_label(column) -%}
    regexp_replace(lower({{ strip_accents("trim(replace(" ~ column ~ ", '’', ''''))") }}), '\\s+', ' ')
{%- endmacro %}

{% macro spark__normalize_company_name(column) -%}
    trim(regexp_replace(regexp_replace(regexp_replace(upper({{ strip_accents(column) }}), '[^A-Z0-9]+', ' '),
        '\\b({{ var("legal_form_words") | join("|") }})\\b', ' '), '\\s+', ' '))
{%- endmacro %}

{% macro spark__parse_date(column) -%}
    coalesce(try_to_date({{ column }}, 'd/M/yyyy'), try_cast(substring({{ column }}, 1, 10) as date))
{%- endmacro %}

{% macro spark__median(column) -%}
    median({{ column }})
{%- endmacro %}

{#- dbt's listagg drops its order on Spark (collect_list has none): the structs are sorted, as DuckDB's form does,
    and a group with no row kept is null, not ''. -#}
{% macro spark__sorted_listagg(measure, delimiter_text, sort_keys, condition=none) -%}
    {%- set item -%}
        named_struct({% for key in sort_keys %}'k{{ loop.index }}', {{ key }}, {% endfor %}'measure', {{ measure }})
    {%- endset -%}
    {%- set kept = "case when " ~ condition ~ " then " ~ item ~ " end" if condition else item -%}
    case when count({{ kept }}) > 0
         then array_join(transform(array_sort(collect_list({{ kept }})), x -> x.measure), {{ delimiter_text }}) end
{%- endmacro %}

{#- dd/mm/yyyy or mm/dd/yy with an optional time, as DuckDB's try_strptime reads them with its list of formats: a
    two-digit year is first written with its century (20yy up to 68, 19yy from 69), then the formats are tried in
    turn. -#}
{% macro spark__day_month_date_to_iso(column, order) -%}
    {%- set text = "regexp_replace(trim(" ~ column ~ "), '^([0-9]{1,2})[.]([0-9]{1,2})[.]', '$1/$2/')" -%}
    {%- set yy = "regexp_extract(" ~ text ~ ", '^[0-9]{1,2}/[0-9]{1,2}/([0-9]{2})(\\\\s|$)', 1)" -%}
    {%- set full = "case when " ~ yy ~ " <> '' then regexp_replace(" ~ text ~ ", '^([0-9]{1,2}/[0-9]{1,2}/)([0-9]{2})', "
                   ~ "concat('$1', case when cast(" ~ yy ~ " as int) < 69 then '20' else '19' end, '$2')) else "
                   ~ text ~ " end" -%}
    date_format(case
        {%- for o in ['dmy', 'mdy'] %}
        {%- set day_month = 'd/M/' if o == 'dmy' else 'M/d/' %}
        when {{ order }} = '{{ o }}' then coalesce(
            {%- for time in ['', ' H:mm', ' H:mm:ss', ' h:mm a', ' h:mm:ss a'] %}
            try_to_timestamp({{ full }}, '{{ day_month }}yyyy{{ time }}'){{ ',' if not loop.last }}
            {%- endfor %})
        {%- endfor %}
    end, 'yyyy-MM-dd HH:mm:ss')
{%- endmacro %}

{#- The materialisation of a model DuckDB keeps up to date incrementally (a daily run recomputes the updated units,
    appends the new events, and deletes the rows they replace): Spark's plain Parquet tables cannot delete rows, so
    there such a model is a table rebuilt whole from its inputs each run, which gives the same rows. The status log
    is the exception: its history cannot be rebuilt from inputs, it stays incremental on both engines. -#}
{% macro incremental_on_duckdb() -%}
    {{ return('table' if target.type == 'spark' else 'incremental') }}
{%- endmacro %}
