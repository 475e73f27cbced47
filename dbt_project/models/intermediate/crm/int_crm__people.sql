{{
    config(
        materialized=incremental_on_duckdb(),
        incremental_strategy='append',
        on_schema_change='append_new_columns',
        post_hook="{{ drop_rows_of_other_inputs(crm_people_inputs()) }}"
    )
}}
{#- Rebuilt whole when its inputs changed since it was built (inputs_fingerprint: a CRM export landed, records or
    people erased, the matches recomputed, the field mapping edited), left as it is otherwise: daily runs of the
    scores do not pivot the CRM records again. -#}
-- depends_on: {{ ref('crm_field_mapping') }}
{%- set inputs = crm_people_inputs() -%}
-- One row per CRM person (HubSpot contact, Salesforce contact or lead) with the company it belongs to and that
-- company's registry match. A Salesforce lead is its own company record (it has no account yet).
{%- if inputs_unchanged(inputs) %}
select * from {{ this }} where 1 = 0
{%- else %}
with people as (
    select * from {{ ref('stg_crm__people') }}
),

crm_companies as (
    select company_key, company_name from {{ ref('stg_crm__companies') }}
),

-- a contact the contacts export left without a company, listed by a company's Associated Contact IDs (HubSpot)
companies_listing_people as (
    select associated_key as person_key, min(company_key) as company_key
    from {{ ref('int_crm__company_associations') }}
    where associated_object = 'person'
    group by associated_key
),

people_with_companies as (
    select
        p.*,
        case when p.person_type = 'lead' then p.person_key
             when p.crm_company_id is not null then p.crm_source || ':' || p.crm_company_id
             else l.company_key end as company_key
    from people as p
    left join companies_listing_people as l on l.person_key = p.person_key
),

erased as (
    select email_sha256 from {{ ref('stg_crm__erasure_requests') }}
)

select
    p.person_key,
    p.crm_source,
    p.person_type,
    p.crm_person_id,
    p.company_key,
    p.first_name,
    p.last_name,
    p.email,
    p.job_title,
    p.owner_name,
    p.lifecycle_stage,
    p.lead_status,
    p.lead_status_code,
    p.email_opt_out,
    p.email_bounced,
    p.do_not_call,
    p.is_converted,
    p.converted_date,
    -- the name of the company record the person belongs to (a Salesforce contact's account, a HubSpot contact's
    -- primary company), else the person's own company column (a Salesforce lead's Company). The person type is
    -- tested here, not in the join: a join condition on one side only makes DuckDB compare every pair of rows
    -- (1 M people x 184 k companies took 519 s at national scale; 8 s this way)
    coalesce(case when p.person_type = 'contact' then c.company_name end, p.company_name) as company_name_in_crm,
    p.created_date,
    m.siren,
    m.siret,
    coalesce(m.match_method, 'unmatched') as match_method,
    coalesce(m.match_confidence, 0) as match_confidence,
    {{ inputs }} as inputs_fingerprint
from people_with_companies as p
left join crm_companies as c on c.company_key = p.company_key
left join {{ ref('int_crm__company_matches') }} as m on m.company_key = p.company_key
where p.email is null or {{ email_sha256('p.email') }} not in (select email_sha256 from erased)
{%- endif %}
