-- What the CRM itself says of each person's qualification, as of its latest export: converted (its own flag, as
-- Salesforce's IsConverted, or a lead status of var crm_converted_lead_statuses), marked unqualified (a lead status of
-- var crm_disqualified_lead_statuses, or one containing a word of var crm_unqualified_status_words), at a lifecycle
-- stage of var crm_sql_lifecycle_stages, and with an open deal on the person or on their CRM company.
with people as (
    select person_key, company_key, lifecycle_stage, lead_status, lead_status_code, is_converted
    from {{ ref('int_crm__people') }}
),

-- contact and company record ids are separate spaces in a CRM: open deals are looked up by each on its own
people_with_open_deals as (
    select distinct person_key from {{ ref('int_crm__deals') }} where not is_closed and person_key is not null
),

companies_with_open_deals as (
    select distinct company_key from {{ ref('int_crm__deals') }} where not is_closed and company_key is not null
)

select
    p.person_key,
    coalesce(p.is_converted or p.lead_status_code in ({{ sql_values(var('crm_converted_lead_statuses')) }}), false)
        as is_converted,
    {% set words = var('crm_unqualified_status_words') -%}
    coalesce(p.lead_status_code in ({{ sql_values(var('crm_disqualified_lead_statuses')) }}) or
        {%- for word in words %}
        {{ normalize_words('p.lead_status') }} like '%{{ word }}%'{{ ' or' if not loop.last }}
        {%- endfor %}
    , false) as crm_marked_unqualified,
    coalesce(p.lifecycle_stage in ({{ sql_values(var('crm_sql_lifecycle_stages')) }}), false) as crm_stage_is_sql,
    (od_person.person_key is not null or od_company.company_key is not null) as has_open_deal
from people as p
left join people_with_open_deals as od_person on od_person.person_key = p.person_key
left join companies_with_open_deals as od_company on od_company.company_key = p.company_key
