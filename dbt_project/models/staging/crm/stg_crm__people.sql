-- One row per CRM person: HubSpot contacts, Salesforce contacts and leads, with canonical fields, parsed.
with pivoted as (
    {{ crm_records_pivot(['contacts', 'leads'], [
        'crm_person_id', 'crm_company_id', 'first_name', 'last_name', 'email', 'job_title',
        'lifecycle_stage', 'lead_status', 'email_opt_out', 'is_converted', 'company_name',
        'website', 'postal_code', 'employees', 'annual_revenue', 'siren', 'siret', 'created_at'
    ]) }}
)

select
    crm_source,
    case when object_type = 'leads' then 'lead' else 'contact' end as person_type,
    crm_person_id,
    crm_source || ':' || crm_person_id as person_key,
    crm_company_id,
    trim(first_name) as first_name,
    trim(last_name) as last_name,
    lower(trim(email)) as email,
    trim(job_title) as job_title,
    lower(lifecycle_stage) as lifecycle_stage,
    lead_status,
    coalesce({{ parse_bool('email_opt_out') }}, false) as email_opt_out,
    coalesce({{ parse_bool('is_converted') }}, false) as is_converted,
    trim(company_name) as company_name,
    {{ clean_domain('website') }} as website_domain,
    trim(postal_code) as postal_code,
    cast({{ parse_number('employees') }} as integer) as employees,
    {{ parse_number('annual_revenue') }} as annual_revenue_eur,
    siren as siren_raw,
    siret as siret_raw,
    {{ parse_date('created_at') }} as created_date,
    source_file,
    record_number
from pivoted
where crm_person_id is not null
