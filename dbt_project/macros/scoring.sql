{#- Helpers of the scoring models. DuckDB is the reference engine; other engines get the portable form. -#}

{#- Whole days from a timestamp's (UTC) date to the as-of date (by default as_of_date()): 0 on the as-of date. -#}
{% macro age_in_days(timestamp_column, as_of=none) -%}
    {{ dbt.datediff("cast(" ~ timestamp_column ~ " as date)", as_of or as_of_date(), 'day') }}
{%- endmacro %}

{#- Points halved every `half_life_days` of age, rounded to 4 decimals and summed as decimals, so that sums do not
    depend on the order the engine adds rows in (byte-identical reruns). -#}
{% macro decayed_points(points, age_days, half_life_days) -%}
    cast(round({{ points }} * power(0.5, cast({{ age_days }} as double) / {{ half_life_days }}), 4) as decimal(18, 4))
{%- endmacro %}

{#- True when `value` matches the regular expression `pattern`. -#}
{% macro regex_matches(value, pattern) -%}
    {{ return(adapter.dispatch('regex_matches')(value, pattern)) }}
{%- endmacro %}
{% macro default__regex_matches(value, pattern) -%}
    regexp_like({{ value }}, {{ pattern }})
{%- endmacro %}
{% macro duckdb__regex_matches(value, pattern) -%}
    regexp_matches({{ value }}, {{ pattern }})
{%- endmacro %}
{% macro spark__regex_matches(value, pattern) -%}
    ({{ value }} rlike {{ pattern }})
{%- endmacro %}

{#- A job title or status as patterns see it: lower case, no accents, punctuation turned into single spaces. -#}
{% macro normalize_words(column) -%}
    {{ return(adapter.dispatch('normalize_words')(column)) }}
{%- endmacro %}
{% macro default__normalize_words(column) -%}
    trim(regexp_replace(lower({{ strip_accents(column) }}), '[^a-z0-9]+', ' '))
{%- endmacro %}
{% macro duckdb__normalize_words(column) -%}
    trim(regexp_replace(lower(strip_accents({{ column }})), '[^a-z0-9]+', ' ', 'g'))
{%- endmacro %}

{#- The decimal separator of the language of the run, as a SQL string: ',' in French, '.' in English. -#}
{% macro decimal_separator() -%}
    {{ "','" if language() == 'fr' else "'.'" }}
{%- endmacro %}

{#- Points as a salesperson reads them in score_reasons: "+12", or "+7,5" in French and "+7.5" in English. -#}
{% macro format_points(points) -%}
    '+' || case when round({{ points }}, 1) = round({{ points }}, 0)
                then cast(cast(round({{ points }}, 0) as integer) as {{ dbt.type_string() }})
                else replace(cast(cast(round({{ points }}, 1) as decimal(10, 1)) as {{ dbt.type_string() }}), '.',
                             {{ decimal_separator() }}) end
{%- endmacro %}

{#- A weighted mean of scores, the weights from a dict var ({fit: 0.35, ...}), rounded to a whole score 0–100. -#}
{% macro weighted_score(weights_var, columns) -%}
    {%- set weights = var(weights_var) -%}
    cast(round(
        {%- for name, column in columns.items() %}
        {{ weights[name] }} * coalesce({{ column }}, 0){{ ' +' if not loop.last }}
        {%- endfor %}
    , 0) as integer)
{%- endmacro %}

{#- The median of a column (an aggregate). -#}
{% macro median(column) -%}
    {{ return(adapter.dispatch('median')(column)) }}
{%- endmacro %}
{% macro default__median(column) -%}
    percentile_cont(0.5) within group (order by {{ column }})
{%- endmacro %}
{% macro duckdb__median(column) -%}
    median({{ column }})
{%- endmacro %}

{#- Texts joined in the order of `sort_keys` (expressions, ascending: negate a number to sort it descending), of the
    rows where `condition` holds (all rows by default); null when there are none. The portable form is dbt's listagg
    with an ordered aggregate; DuckDB sorts a list of structs instead, which is 2.5 times faster on 2 M groups (the
    reasons of a million leads). -#}
{% macro sorted_listagg(measure, delimiter_text, sort_keys, condition=none) -%}
    {{ return(adapter.dispatch('sorted_listagg')(measure, delimiter_text, sort_keys, condition)) }}
{%- endmacro %}
{% macro default__sorted_listagg(measure, delimiter_text, sort_keys, condition=none) -%}
    {%- set kept = "case when " ~ condition ~ " then " ~ measure ~ " end" if condition else measure -%}
    {{ dbt.listagg(kept, delimiter_text, "order by " ~ sort_keys | join(', ')) }}
{%- endmacro %}
{% macro duckdb__sorted_listagg(measure, delimiter_text, sort_keys, condition=none) -%}
    array_to_string(list_transform(
        list_sort(list(struct_pack({% for key in sort_keys %}k{{ loop.index }} := {{ key }}, {% endfor %}measure := {{ measure }}))
                  {%- if condition %} filter (where {{ condition }}){% endif %}),
        item -> item.measure), {{ delimiter_text }})
{%- endmacro %}

{#- The ages an activity can have in the scoring window, one row each (age_days 0 to scoring_window_days - 1), written
    out at compile time: reading them from a table of activities would make the engine materialise it. -#}
{% macro scoring_window_ages() -%}
    {%- for age in range(var('scoring_window_days')) %}
    select {{ age }} as age_days{{ ' union all' if not loop.last }}
    {%- endfor %}
{%- endmacro %}

{#- A ratio rounded half up on its decimal digits, the same on every engine: rounding the double itself differs at
    exact halves (5.445 gives 5.45 in DuckDB, 5.44 in Spark, which rounds the binary value 5.44499…). -#}
{% macro round_half_up(expression, digits) -%}
    cast(round(cast({{ expression }} as decimal(38, 12)), {{ digits }}) as double)
{%- endmacro %}
