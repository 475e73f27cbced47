-- Headers of the exports that the mapping seed does not know (a custom property): add them to
-- seeds/crm/crm_field_mapping.csv to use them.
select crm_source, object_type, source_file, header, count(*) as values_count
from {{ ref('stg_crm__fields') }}
where canonical_field is null
group by crm_source, object_type, source_file, header
