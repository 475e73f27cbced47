-- One row per CRM deal: HubSpot deals and Salesforce opportunities, with canonical fields, parsed.
with pivoted as (
    {{ crm_records_pivot(['deals'], [
        'crm_deal_id', 'crm_company_id', 'crm_person_id', 'deal_name', 'deal_stage', 'amount',
        'close_date', 'is_closed', 'is_won', 'created_at'
    ]) }}
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
