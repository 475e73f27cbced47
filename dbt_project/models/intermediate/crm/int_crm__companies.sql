-- Every company the CRM knows, one row per company_key: HubSpot companies, Salesforce accounts, and the company
-- of each Salesforce lead (a lead has no account yet). Identifiers are the checked ones: an invalid SIREN, SIRET or
-- VAT number is flagged and never used for matching. Free-mail domains are not company domains.
with companies as (
    select
        crm_source, crm_company_id, company_key, company_name, domain, postal_code, city, employees,
        annual_revenue_eur, created_date, siren_raw, siret_raw, vat_raw, 'company' as record_type
    from {{ ref('stg_crm__companies') }}
    union all
    select
        crm_source, crm_person_id, person_key, company_name, website_domain, postal_code, null, employees,
        annual_revenue_eur, created_date, siren_raw, siret_raw, null, 'lead'
    from {{ ref('stg_crm__people') }}
    where person_type = 'lead'
),

checks as (
    select * from {{ ref('stg_crm__identifier_checks') }}
),

free_mail as (
    select domain from {{ ref('free_email_domains') }}
)

select
    c.company_key,
    c.crm_source,
    c.crm_company_id,
    c.record_type,
    c.company_name,
    {{ normalize_company_name('c.company_name') }} as company_name_normalized,
    case when c.domain not in (select domain from free_mail) then c.domain end as domain,
    c.postal_code,
    case when {{ regex_matches('c.postal_code', "'^[0-9]{5}$'") }} then
        case when c.postal_code like '97%' or c.postal_code like '98%' then substring(c.postal_code, 1, 3)
             when c.postal_code like '20%' then case when c.postal_code < '20200' then '2A' else '2B' end
             else substring(c.postal_code, 1, 2) end
    end as departement,
    c.city,
    c.employees,
    c.annual_revenue_eur,
    c.created_date,
    siret_check.siret as valid_siret,
    coalesce(siret_check.siren, siren_check.siren, vat_check.siren) as identifier_siren,
    case
        when siret_check.siret is not null then 'siret'
        when siren_check.siren is not null then 'siren'
        when vat_check.siren is not null then 'vat'
    end as identifier_kind,
    coalesce(siret_check.is_valid = false, false)
        or coalesce(siren_check.is_valid = false, false)
        or coalesce(vat_check.is_valid = false, false) as has_invalid_identifier,
    coalesce(siret_check.reason, siren_check.reason, vat_check.reason) as invalid_identifier_reason,
    c.siren_raw,
    c.siret_raw,
    c.vat_raw
from companies as c
left join checks as siret_check on siret_check.raw_value = c.siret_raw and siret_check.id_kind = 'siret'
left join checks as siren_check on siren_check.raw_value = c.siren_raw and siren_check.id_kind = 'siren'
left join checks as vat_check on vat_check.raw_value = c.vat_raw and vat_check.id_kind = 'vat_number'
