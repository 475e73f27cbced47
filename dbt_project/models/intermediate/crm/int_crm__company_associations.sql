{{ config(materialized='view') }}
-- The people and deals each HubSpot company lists in its export (Associated Contact IDs, Associated Deal IDs:
-- ';'-separated record IDs), one row per company and record: the company's side of the associations, read by
-- int_crm__people and int_crm__deals for the records their own exports leave without a company.
with lists as (
    select crm_source, company_key, 'person' as associated_object, associated_person_ids as ids
    from {{ ref('stg_crm__companies') }}
    where associated_person_ids is not null
    union all
    select crm_source, company_key, 'deal' as associated_object, associated_deal_ids as ids
    from {{ ref('stg_crm__companies') }}
    where associated_deal_ids is not null
)

select
    company_key,
    associated_object,
    crm_source || ':' || trim(associated_id) as associated_key
from (
    select crm_source, company_key, associated_object, {{ list_elements('ids') }} as associated_id
    from lists
) as listed
where trim(associated_id) <> ''
