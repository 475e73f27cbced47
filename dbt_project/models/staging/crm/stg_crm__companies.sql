-- One row per CRM company record (HubSpot company, Salesforce account) with canonical fields, parsed.
{% set f = "max(case when canonical_field = '{}' then value end)" %}
with pivoted as (
    select
        crm_source,
        source_file,
        record_number,
        {{ f.format('crm_company_id') }} as crm_company_id,
        {{ f.format('company_name') }} as company_name,
        {{ f.format('domain') }} as domain,
        {{ f.format('website') }} as website,
        {{ f.format('postal_code') }} as postal_code,
        {{ f.format('city') }} as city,
        {{ f.format('employees') }} as employees,
        {{ f.format('annual_revenue') }} as annual_revenue,
        {{ f.format('industry') }} as industry,
        {{ f.format('created_at') }} as created_at,
        {{ f.format('lifecycle_stage') }} as lifecycle_stage,
        {{ f.format('siren') }} as siren_raw,
        {{ f.format('siret') }} as siret_raw,
        {{ f.format('vat_number') }} as vat_raw
    from {{ ref('stg_crm__fields') }}
    where object_type = 'companies'
    group by crm_source, source_file, record_number
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
    siren_raw,
    siret_raw,
    vat_raw,
    source_file,
    record_number
from pivoted
where crm_company_id is not null
