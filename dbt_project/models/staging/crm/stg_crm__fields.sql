-- CRM values with the canonical field their header maps to (seed crm_field_mapping); unmapped headers keep a null
-- canonical_field and are listed by stg_crm__unmapped_headers. Dates written dd/mm or mm/dd (an export re-saved by
-- Excel) become ISO text here, in the day/month order their column shows (raw.crm_date_columns); a column whose
-- values do not tell the order gives unknown (null) dates unless var crm_ambiguous_date_order decides it.
with records as (
    select crm_source, object_type, source_file, record_number, header, value
    from {{ source('crm', 'crm_records') }}
),

mapping as (
    select crm_source, object_type, {{ normalize_label('header') }} as header_key, canonical_field
    from {{ ref('crm_field_mapping') }}
),

date_columns as (
    select
        source_file,
        header,
        coalesce(date_order, {{ "'" ~ var('crm_ambiguous_date_order') ~ "'" if var('crm_ambiguous_date_order')
                                 else "cast(null as " ~ dbt.type_string() ~ ")" }}) as date_order
    from {{ source('crm', 'crm_date_columns') }}
)

select
    r.crm_source,
    r.object_type,
    r.source_file,
    r.record_number,
    r.header,
    m.canonical_field,
    case when d.header is null then r.value
         else {{ day_month_date_to_iso('r.value', 'd.date_order') }} end as value
from records as r
left join mapping as m
    on m.crm_source = r.crm_source
    and m.object_type = r.object_type
    and m.header_key = {{ normalize_label('r.header') }}
left join date_columns as d
    on d.source_file = r.source_file
    and d.header = r.header
