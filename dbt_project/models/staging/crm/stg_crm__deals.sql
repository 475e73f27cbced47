-- One row per CRM deal: HubSpot deals and Salesforce opportunities, with canonical fields, parsed.
{% set f = "max(case when canonical_field = '{}' then value end)" %}
with pivoted as (
    select
        crm_source,
        source_file,
        record_number,
        {{ f.format('crm_deal_id') }} as crm_deal_id,
        {{ f.format('crm_company_id') }} as crm_company_id,
        {{ f.format('crm_person_id') }} as crm_person_id,
        {{ f.format('deal_name') }} as deal_name,
        {{ f.format('deal_stage') }} as deal_stage,
        {{ f.format('amount') }} as amount,
        {{ f.format('close_date') }} as close_date,
        {{ f.format('is_closed') }} as is_closed,
        {{ f.format('is_won') }} as is_won,
        {{ f.format('created_at') }} as created_at
    from {{ ref('stg_crm__fields') }}
    where object_type = 'deals'
    group by crm_source, source_file, record_number
)

select
    crm_source,
    crm_deal_id,
    crm_source || ':' || crm_deal_id as deal_key,
    crm_company_id,
    case when crm_company_id is not null then crm_source || ':' || crm_company_id end as company_key,
    case when crm_person_id is not null then crm_source || ':' || crm_person_id end as person_key,
    deal_name,
    deal_stage,
    {{ parse_number('amount') }} as amount_eur,
    {{ parse_date('close_date') }} as close_date,
    coalesce({{ parse_bool('is_closed') }}, lower(deal_stage) like 'closed%') as is_closed,
    coalesce({{ parse_bool('is_won') }}, lower(deal_stage) in ('closedwon', 'closed won')) as is_won,
    {{ parse_date('created_at') }} as created_date,
    source_file,
    record_number
from pivoted
where crm_deal_id is not null
