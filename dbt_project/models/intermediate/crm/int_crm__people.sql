{{
    config(
        materialized='incremental',
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

erased as (
    select email from {{ ref('stg_crm__erasure_requests') }}
)

select
    p.person_key,
    p.crm_source,
    p.person_type,
    p.crm_person_id,
    case when p.person_type = 'lead' then p.person_key
         when p.crm_company_id is not null then p.crm_source || ':' || p.crm_company_id end as company_key,
    p.first_name,
    p.last_name,
    p.email,
    p.job_title,
    p.lifecycle_stage,
    p.lead_status,
    p.email_opt_out,
    p.is_converted,
    p.company_name as company_name_in_crm,
    p.created_date,
    m.siren,
    m.siret,
    coalesce(m.match_method, 'unmatched') as match_method,
    coalesce(m.match_confidence, 0) as match_confidence,
    {{ inputs }} as inputs_fingerprint
from people as p
left join {{ ref('int_crm__company_matches') }} as m
    on m.company_key = case when p.person_type = 'lead' then p.person_key
                            else p.crm_source || ':' || p.crm_company_id end
where p.email is null or p.email not in (select email from erased)
{%- endif %}
