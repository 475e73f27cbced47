-- CRM values with the canonical field their header maps to (seed crm_field_mapping); unmapped headers keep a null
-- canonical_field and are listed by stg_crm__unmapped_headers.
with records as (
    select * from {{ source('crm', 'crm_records') }}
),

mapping as (
    select crm_source, object_type, {{ normalize_label('header') }} as header_key, canonical_field
    from {{ ref('crm_field_mapping') }}
)

select
    r.crm_source,
    r.object_type,
    r.source_file,
    r.record_number,
    r.header,
    m.canonical_field,
    r.value
from records as r
left join mapping as m
    on m.crm_source = r.crm_source
    and m.object_type = r.object_type
    and m.header_key = {{ normalize_label('r.header') }}
