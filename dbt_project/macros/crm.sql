{#- One row per CRM record of the given object types, one column per canonical field: the pivot of stg_crm__fields
    that each CRM staging model starts from. -#}
{% macro crm_records_pivot(object_types, fields) -%}
    select
        crm_source,
        object_type,
        source_file,
        record_number,
        {%- for field in fields %}
        max(case when canonical_field = '{{ field }}' then value end) as {{ field }}{{ "," if not loop.last }}
        {%- endfor %}
    from {{ ref('stg_crm__fields') }}
    where object_type in ('{{ object_types | join("', '") }}')
    group by crm_source, object_type, source_file, record_number
{%- endmacro %}
