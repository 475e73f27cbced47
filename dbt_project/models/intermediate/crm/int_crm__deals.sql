-- One row per CRM deal and person it involves (a deal without a known contact: one row, person_key null), with the
-- deal's company. HubSpot exports associations on both sides, as ';'-separated record IDs: a deal's Associated
-- Contact IDs and Associated Company IDs, a contact's or a company's Associated Deal IDs; Salesforce gives an
-- opportunity's AccountId and ContactId. Every side counts, so a deal reaches its people whichever file listed them.
with deals as (
    select crm_source, deal_key, crm_deal_id, company_key, crm_person_id, associated_person_ids, deal_stage,
           deal_stage_label, amount_eur, created_date, close_date, is_closed, is_won
    from {{ ref('stg_crm__deals') }}
),

listed_by_deals as (
    select deal_key, crm_source, trim(person_id) as crm_person_id
    from (
        select deal_key, crm_source, {{ list_elements('associated_person_ids') }} as person_id
        from deals
        where associated_person_ids is not null
    ) as listed
    union all
    select deal_key, crm_source, crm_person_id
    from deals
    where crm_person_id is not null
),

listed_by_people as (
    select crm_source || ':' || trim(deal_id) as deal_key, crm_source, crm_person_id
    from (
        select crm_source, crm_person_id, {{ list_elements('associated_deal_ids') }} as deal_id
        from {{ ref('stg_crm__people') }}
        where associated_deal_ids is not null
    ) as listed
),

deal_people as (
    select distinct deal_key, crm_source || ':' || crm_person_id as person_key
    from (
        select deal_key, crm_source, crm_person_id from listed_by_deals
        union all
        select deal_key, crm_source, crm_person_id from listed_by_people
    ) as sides
    where crm_person_id <> ''
),

-- a deal the deals export left without a company, listed by a company's Associated Deal IDs
deal_companies_listed_by_companies as (
    select associated_key as deal_key, min(company_key) as company_key
    from {{ ref('int_crm__company_associations') }}
    where associated_object = 'deal'
    group by associated_key
)

select
    d.crm_source,
    d.deal_key,
    d.crm_deal_id,
    p.person_key,
    coalesce(d.company_key, c.company_key) as company_key,
    d.deal_stage,
    d.deal_stage_label,
    d.amount_eur,
    d.created_date,
    d.close_date,
    d.is_closed,
    d.is_won
from deals as d
left join deal_people as p on p.deal_key = d.deal_key
left join deal_companies_listed_by_companies as c on c.deal_key = d.deal_key
