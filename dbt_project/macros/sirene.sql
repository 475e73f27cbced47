{#- INSEE writes "[ND]" (non diffusible) in the fields a protected unit hides: they are unknown, never to be rebuilt. -#}
{% macro hidden_to_null(column) -%}
    nullif({{ column }}, '[ND]')
{%- endmacro %}

{#- Département of a commune code: 3 characters overseas (971-989), 2 otherwise (2A and 2B included). -#}
{% macro departement_of_commune(code_commune) -%}
    case
        when {{ code_commune }} like '97%' or {{ code_commune }} like '98%' then substring({{ code_commune }}, 1, 3)
        else substring({{ code_commune }}, 1, 2)
    end
{%- endmacro %}

{#- The stock with the daily updates merged over it: for each key, the row with the latest processing date wins (an
    update processed at the same instant as the stock row leaves the stock row; an update with a date beats a stock
    row without one). Columns are the stock's. -#}
{% macro sirene_with_updates(stock, updates, key, processed_at) -%}
    {%- set columns = adapter.get_columns_in_relation(stock) if execute else [] -%}
    {%- set names = columns | map(attribute='name') | reject('equalto', '_source_file') | list -%}
    {%- set column_list = names | join(', ') if names else '*' -%}
    with latest_updates as (
        select {{ column_list }}
        from (
            select *, row_number() over (partition by {{ key }} order by {{ processed_at }} desc) as recency
            from {{ updates }}
        ) as ranked
        where recency = 1
    )
    -- equality joins on the key, the date compared after: hash joins with the (small) updates on the build side
    select {% for c in names %}s.{{ c }}{{ ', ' if not loop.last }}{% endfor %}{{ 's.*' if not names }}
    from {{ stock }} as s
    left join latest_updates as u on u.{{ key }} = s.{{ key }}
    where u.{{ key }} is null
       or not (u.{{ processed_at }} is not null
               and (s.{{ processed_at }} is null or u.{{ processed_at }} > s.{{ processed_at }}))
    union all
    select {% for c in names %}u.{{ c }}{{ ', ' if not loop.last }}{% endfor %}{{ 'u.*' if not names }}
    from latest_updates as u
    left join {{ stock }} as s on s.{{ key }} = u.{{ key }}
    where s.{{ key }} is null
       or (u.{{ processed_at }} is not null
           and (s.{{ processed_at }} is null or u.{{ processed_at }} > s.{{ processed_at }}))
{%- endmacro %}
