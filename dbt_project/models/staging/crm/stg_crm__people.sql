-- One row per CRM person: HubSpot contacts, Salesforce contacts and leads, with canonical fields, parsed.
{% set f = "max(case when canonical_field = '{}' then value end)" %}
with pivoted as (
    select
        crm_source,
        object_type,
        source_file,
        record_number,
        {{ f.format('crm_person_id') }} as crm_person_id,
        {{ f.format('crm_company_id') }} as crm_company_id,
        {{ f.format('first_name') }} as first_name,
        {{ f.format('last_name') }} as last_name,
        {{ f.format('email') }} as email,
        {{ f.format('job_title') }} as job_title,
        {{ f.format('lifecycle_stage') }} as lifecycle_stage,
        {{ f.format('lead_status') }} as lead_status,
        {{ f.format('email_opt_out') }} as email_opt_out,
        {{ f.format('is_converted') }} as is_converted,
        {{ f.format('company_name') }} as company_name,
        {{ f.format('website') }} as website,
        {{ f.format('postal_code') }} as postal_code,
        {{ f.format('employees') }} as employees,
        {{ f.format('annual_revenue') }} as annual_revenue,
        {{ f.format('siren') }} as siren_raw,
        {{ f.format('siret') }} as siret_raw,
        {{ f.format('created_at') }} as created_at
    from {{ ref('stg_crm__fields') }}
    where object_type in ('contacts', 'leads')
    group by crm_source, object_type, source_file, record_number
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
    siren_raw,
    siret_raw,
    {{ parse_date('created_at') }} as created_date,
    source_file,
    record_number
from pivoted
where crm_person_id is not null
