-- One row per CRM deal: HubSpot deals and Salesforce opportunities, with canonical fields, parsed. The stage is
-- exported as a label (any language) or an internal value; seed crm_deal_stages gives its internal value and its
-- meaning (won, lost, open), custom stages included. Who the deal involves: int_crm__deals.
with pivoted as (
    {{ crm_records_pivot(['deals'], [
        'crm_deal_id', 'crm_company_id', 'primary_company_id', 'associated_company_ids', 'crm_person_id',
        'associated_person_ids', 'deal_name', 'deal_stage', 'pipeline', 'amount', 'close_date', 'is_closed', 'is_won',
        'created_at', 'is_deleted'
    ]) }}
),

stages as (
    select crm_source, {{ normalize_label('label') }} as label_key, deal_stage, outcome
    from {{ ref('crm_deal_stages') }}
),

deals as (
    select
        p.crm_source,
        p.crm_deal_id,
        coalesce({{ crm_record_id('p.primary_company_id') }}, {{ crm_record_id('p.crm_company_id') }},
                 {{ crm_record_id(dbt.split_part('p.associated_company_ids', "';'", 1)) }}) as crm_company_id,
        {{ crm_record_id('p.crm_person_id') }} as crm_person_id,
        p.associated_person_ids,
        p.deal_name,
        coalesce(s.deal_stage, lower(trim(p.deal_stage))) as deal_stage,
        trim(p.deal_stage) as deal_stage_label,
        s.outcome as stage_outcome,
        p.pipeline,
        p.amount,
        p.close_date,
        p.is_closed,
        p.is_won,
        p.created_at,
        p.source_file,
        p.record_number
    from pivoted as p
    left join stages as s
        on s.crm_source = p.crm_source
        and s.label_key = {{ normalize_label('p.deal_stage') }}
    where not coalesce({{ parse_bool('p.is_deleted') }}, false)  -- Salesforce exports keep deleted records, flagged
)

select
    crm_source,
    crm_deal_id,
    crm_source || ':' || crm_deal_id as deal_key,
    crm_company_id,
    case when crm_company_id is not null then crm_source || ':' || crm_company_id end as company_key,
    crm_person_id,
    associated_person_ids,
    deal_name,
    deal_stage,
    deal_stage_label,
    pipeline,
    {{ parse_number('amount') }} as amount_eur,
    {{ parse_date('close_date') }} as close_date,
    -- the export's own flags when it has them (IsClosed / IsWon, Is Closed Won), else the stage's meaning
    coalesce({{ parse_bool('is_closed') }}, stage_outcome in ('won', 'lost'), false) as is_closed,
    coalesce({{ parse_bool('is_won') }}, stage_outcome = 'won', false) as is_won,
    {{ parse_date('created_at') }} as created_date,
    source_file,
    record_number
from deals
where crm_deal_id is not null
