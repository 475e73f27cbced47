-- One row per CRM company record (HubSpot company, Salesforce account) with canonical fields, parsed.
with pivoted as (
    {{ crm_records_pivot(['companies'], [
        'crm_company_id', 'company_name', 'domain', 'website', 'postal_code', 'city',
        'employees', 'annual_revenue', 'industry', 'created_at', 'lifecycle_stage', 'siren',
        'siret', 'vat_number', 'associated_person_ids', 'associated_deal_ids', 'is_deleted'
    ]) }}
)

select
    crm_source,
    crm_company_id,
    crm_source || ':' || crm_company_id as company_key,
    trim(company_name) as company_name,
    coalesce({{ clean_domain('domain') }}, {{ clean_domain('website') }}) as domain,
    trim(postal_code) as postal_code,
    trim(city) as city,
    cast({{ parse_number('employees') }} as integer) as employees,
    {{ parse_number('annual_revenue') }} as annual_revenue_eur,
    industry,
    {{ parse_date('created_at') }} as created_date,
    lower(lifecycle_stage) as lifecycle_stage,
    siren as siren_raw,
    siret as siret_raw,
    vat_number as vat_raw,
    -- HubSpot's association columns, ';'-separated record IDs (read by int_crm__people and int_crm__deals)
    associated_person_ids,
    associated_deal_ids,
    source_file,
    record_number
from pivoted
where crm_company_id is not null
  and not coalesce({{ parse_bool('is_deleted') }}, false)  -- Salesforce exports keep deleted records, flagged
