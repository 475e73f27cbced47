{#- Parsing of values typed by people in CRM exports. DuckDB is the reference; other engines get the portable form. -#}

{#- Compare labels as a person reads them: case, accents, apostrophes and spacing do not matter. -#}
{% macro normalize_label(column) -%}
    {{ return(adapter.dispatch('normalize_label')(column)) }}
{%- endmacro %}
{% macro default__normalize_label(column) -%}
    lower(trim(replace({{ column }}, '’', '''')))
{%- endmacro %}
{% macro duckdb__normalize_label(column) -%}
    regexp_replace(lower(strip_accents(trim(replace({{ column }}, '’', '''')))), '\s+', ' ', 'g')
{%- endmacro %}

{#- A number as CRMs export it: "1 234,50", "1234.5", "1,234.50", "12 000 €". Unparseable text becomes null. -#}
{% macro parse_number(column) -%}
    {{ return(adapter.dispatch('parse_number')(column)) }}
{%- endmacro %}
{% macro default__parse_number(column) -%}
    {%- set s = "regexp_replace(" ~ column ~ ", '[^0-9,.\\-]', '')" -%}
    {{ dbt.safe_cast(
        "case when " ~ s ~ " like '%,%' and " ~ s ~ " like '%.%' then
                case when " ~ dbt.position("','", s) ~ " > " ~ dbt.position("'.'", s) ~ "
                     then replace(replace(" ~ s ~ ", '.', ''), ',', '.')
                     else replace(" ~ s ~ ", ',', '') end
              else replace(" ~ s ~ ", ',', '.') end",
        "double") }}
{%- endmacro %}
{% macro duckdb__parse_number(column) -%}
    {%- set s = "regexp_replace(" ~ column ~ ", '[^0-9,.\\-]', '', 'g')" -%}
    try_cast(case when {{ s }} like '%,%' and {{ s }} like '%.%' then
                      case when strpos({{ s }}, ',') > strpos({{ s }}, '.')
                           then replace(replace({{ s }}, '.', ''), ',', '.')
                           else replace({{ s }}, ',', '') end
                  else replace({{ s }}, ',', '.') end as double)
{%- endmacro %}

{#- A date as CRMs export it: ISO (2026-11-26, with or without a time) or French (26/11/2026). -#}
{% macro parse_date(column) -%}
    {{ return(adapter.dispatch('parse_date')(column)) }}
{%- endmacro %}
{% macro default__parse_date(column) -%}
    coalesce(to_date({{ column }}, 'dd/MM/yyyy'), {{ dbt.safe_cast("substring(" ~ column ~ ", 1, 10)", "date") }})
{%- endmacro %}
{% macro duckdb__parse_date(column) -%}
    coalesce(try_strptime({{ column }}, '%d/%m/%Y')::date, try_cast(substring({{ column }}, 1, 10) as date))
{%- endmacro %}

{#- Every match of a regular expression replaced (DuckDB replaces the first unless told 'g'; Spark replaces all).
    Patterns without a backslash read the same in both engines' string literals. -#}
{% macro replace_every_match(value, pattern, replacement) -%}
    {{ return(adapter.dispatch('replace_every_match')(value, pattern, replacement)) }}
{%- endmacro %}
{% macro default__replace_every_match(value, pattern, replacement) -%}
    regexp_replace({{ value }}, {{ pattern }}, {{ replacement }})
{%- endmacro %}
{% macro duckdb__replace_every_match(value, pattern, replacement) -%}
    regexp_replace({{ value }}, {{ pattern }}, {{ replacement }}, 'g')
{%- endmacro %}

{#- Yes/no in English, French or as a number. -#}
{% macro parse_bool(column) -%}
    case when lower(trim({{ column }})) in ('true', 'oui', 'yes', '1', 'vrai', 'x') then true
         when lower(trim({{ column }})) in ('false', 'non', 'no', '0', 'faux') then false end
{%- endmacro %}

{#- A web domain from a domain, a URL or an e-mail address: lower case, without scheme, www. or path. -#}
{% macro clean_domain(column) -%}
    {{ return(adapter.dispatch('clean_domain')(column)) }}
{%- endmacro %}
{% macro default__clean_domain(column) -%}
    nullif(lower(regexp_extract(regexp_replace(lower(trim({{ column }})), '^(https?://)?(www\\.)?|^.*@', ''), '^[^/?#:]+', 0)), '')
{%- endmacro %}
{% macro duckdb__clean_domain(column) -%}
    nullif(regexp_extract(regexp_replace(lower(trim({{ column }})), '^(https?://)?(www\.)?|^.*@', ''), '^[^/?#:]+'), '')
{%- endmacro %}

{#- A company name reduced to what identifies it: upper case, no accents or punctuation, legal forms dropped. -#}
{% macro normalize_company_name(column) -%}
    {{ return(adapter.dispatch('normalize_company_name')(column)) }}
{%- endmacro %}
{% macro default__normalize_company_name(column) -%}
    trim(regexp_replace(regexp_replace(upper({{ column }}), '[^A-Z0-9]+', ' '),
        '\\b({{ var("legal_form_words") | join("|") }})\\b', ''))
{%- endmacro %}
{% macro duckdb__normalize_company_name(column) -%}
    trim(regexp_replace(regexp_replace(regexp_replace(upper(strip_accents({{ column }})), '[^A-Z0-9]+', ' ', 'g'),
        '\b({{ var("legal_form_words") | join("|") }})\b', ' ', 'g'), '\s+', ' ', 'g'))
{%- endmacro %}

{#- Text of a JSON document at a path ($.a.b or $[0]); null when absent. -#}
{% macro json_text(column, path) -%}
    {{ return(adapter.dispatch('json_text')(column, path)) }}
{%- endmacro %}
{% macro default__json_text(column, path) -%}
    json_extract_scalar({{ column }}, '{{ path }}')
{%- endmacro %}
{% macro spark__json_text(column, path) -%}
    get_json_object({{ column }}, '{{ path }}')
{%- endmacro %}
{% macro duckdb__json_text(column, path) -%}
    json_extract_string({{ column }}, '{{ path }}')
{%- endmacro %}

{#- Confidence of a deterministic match tier (var match_confidence_by_method in dbt_project.yml). -#}
{% macro match_confidence(method_column) -%}
    case {{ method_column }}
    {%- for method, confidence in var('match_confidence_by_method').items() %}
        when '{{ method }}' then {{ confidence }}
    {%- endfor %}
    end
{%- endmacro %}

{#- A date written dd/mm/yyyy or mm/dd/yy (slashes or dots, with or without a time, 24-hour or AM/PM) as ISO text
    'yyyy-mm-dd hh:mm:ss', in the given order ('dmy' or 'mdy'); null when the order is null (undecided) or the text
    is not such a date. A two-digit year yy is 20yy up to 68 and 19yy from 69 (the POSIX rule), never year 00yy. -#}
{% macro day_month_date_to_iso(column, order) -%}
    {{ return(adapter.dispatch('day_month_date_to_iso')(column, order)) }}
{%- endmacro %}
{% macro _day_month_formats(order, year) -%}
    {%- set day_month = '%d/%m/' if order == 'dmy' else '%m/%d/' -%}
    [{% for time in ['', ' %H:%M', ' %H:%M:%S', ' %I:%M %p', ' %I:%M:%S %p'] %}'{{ day_month ~ year ~ time }}'{{ ', ' if not loop.last }}{% endfor %}]
{%- endmacro %}
{% macro duckdb__day_month_date_to_iso(column, order) -%}
    {%- set text = "regexp_replace(trim(" ~ column ~ "), '^([0-9]{1,2})[.]([0-9]{1,2})[.]', '\\1/\\2/')" -%}
    {%- set two_digit_year = "regexp_matches(" ~ text ~ ", '^[0-9]{1,2}/[0-9]{1,2}/[0-9]{2}(\\s|$)')" -%}
    strftime(case
        {%- for o in ['dmy', 'mdy'] %}
        when {{ order }} = '{{ o }}' and {{ two_digit_year }} then try_strptime({{ text }}, {{ _day_month_formats(o, '%y') }})
        when {{ order }} = '{{ o }}' then try_strptime({{ text }}, {{ _day_month_formats(o, '%Y') }})
        {%- endfor %}
    end, '%Y-%m-%d %H:%M:%S')
{%- endmacro %}
{% macro default__day_month_date_to_iso(column, order) -%}
    {#- Engines without a list of formats: the date part only, its year expanded by the same rule. -#}
    {%- set d = "split_part(trim(" ~ column ~ "), ' ', 1)" -%}
    {%- set first = dbt.safe_cast("split_part(regexp_replace(" ~ d ~ ", '[.]', '/'), '/', 1)", "int") -%}
    {%- set second = dbt.safe_cast("split_part(regexp_replace(" ~ d ~ ", '[.]', '/'), '/', 2)", "int") -%}
    {%- set year = dbt.safe_cast("split_part(regexp_replace(" ~ d ~ ", '[.]', '/'), '/', 3)", "int") -%}
    {%- set full_year = "case when " ~ year ~ " < 69 and length(split_part(regexp_replace(" ~ d ~ ", '[.]', '/'), '/', 3)) = 2 then 2000 + " ~ year
        ~ " when length(split_part(regexp_replace(" ~ d ~ ", '[.]', '/'), '/', 3)) = 2 then 1900 + " ~ year ~ " else " ~ year ~ " end" -%}
    case
        when {{ order }} = 'dmy' then concat(cast({{ full_year }} as {{ dbt.type_string() }}), '-', lpad(cast({{ second }} as {{ dbt.type_string() }}), 2, '0'), '-', lpad(cast({{ first }} as {{ dbt.type_string() }}), 2, '0'))
        when {{ order }} = 'mdy' then concat(cast({{ full_year }} as {{ dbt.type_string() }}), '-', lpad(cast({{ first }} as {{ dbt.type_string() }}), 2, '0'), '-', lpad(cast({{ second }} as {{ dbt.type_string() }}), 2, '0'))
    end
{%- endmacro %}

{#- One row per element of a ';'-separated list held in a text column (HubSpot's association columns): a select-list
    expression. -#}
{% macro list_elements(column, separator=';') -%}
    {{ return(adapter.dispatch('list_elements')(column, separator)) }}
{%- endmacro %}
{% macro default__list_elements(column, separator) -%}
    explode(split({{ column }}, '{{ separator }}'))
{%- endmacro %}
{% macro duckdb__list_elements(column, separator) -%}
    unnest(string_split({{ column }}, '{{ separator }}'))
{%- endmacro %}

{#- The items of a list var as SQL string literals for `in (...)`; `null` for an empty list, which matches nothing. -#}
{% macro sql_values(values) -%}
    {%- for v in values %}'{{ v }}'{{ ', ' if not loop.last }}{% else %}null{% endfor -%}
{%- endmacro %}
