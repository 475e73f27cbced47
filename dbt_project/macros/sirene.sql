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
