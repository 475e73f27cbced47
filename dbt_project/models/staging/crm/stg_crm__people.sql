-- One row per CRM person: HubSpot contacts, Salesforce contacts and leads, with canonical fields, parsed. Lifecycle
-- stages and lead statuses are exported as labels in the portal's language or as internal values: both become the
-- canonical value of seed crm_picklist_values (a value it does not list is kept, lower-cased).
with pivoted as (
    {{ crm_records_pivot(['contacts', 'leads'], [
        'crm_person_id', 'crm_company_id', 'primary_company_id', 'associated_company_ids', 'associated_company_name',
        'associated_deal_ids', 'first_name', 'last_name', 'email', 'job_title', 'lifecycle_stage', 'lead_status',
        'email_opt_out', 'email_bounced', 'email_bounced_at', 'do_not_call', 'is_converted', 'converted_at',
        'company_name', 'website', 'postal_code', 'employees', 'annual_revenue', 'siren', 'siret', 'created_at',
        'is_deleted', 'owner_name'
    ]) }}
),

picklist as (
    select crm_source, canonical_field, {{ normalize_label('label') }} as label_key, canonical_value
    from {{ ref('crm_picklist_values') }}
)

select
    p.crm_source,
    case when p.object_type = 'leads' then 'lead' else 'contact' end as person_type,
    p.crm_person_id,
    p.crm_source || ':' || p.crm_person_id as person_key,
    -- HubSpot: the primary associated company, else the company ID column, else the first of the associated ones
    coalesce({{ crm_record_id('p.primary_company_id') }}, {{ crm_record_id('p.crm_company_id') }},
             {{ crm_record_id(dbt.split_part('p.associated_company_ids', "';'", 1)) }}) as crm_company_id,
    p.associated_deal_ids,
    trim(p.first_name) as first_name,
    trim(p.last_name) as last_name,
    lower(trim(p.email)) as email,
    trim(p.job_title) as job_title,
    -- the CRM user who owns the person (HubSpot "Contact owner", Salesforce Owner.Name); null when unassigned
    nullif(trim(p.owner_name), '') as owner_name,
    coalesce(stage.canonical_value, lower(trim(p.lifecycle_stage))) as lifecycle_stage,
    trim(p.lead_status) as lead_status,
    coalesce(status.canonical_value, lower(trim(p.lead_status))) as lead_status_code,
    coalesce({{ parse_bool('p.email_opt_out') }}, false) as email_opt_out,
    -- Salesforce: IsEmailBounced where the export has it, else a bounce date recorded on the person
    coalesce({{ parse_bool('p.email_bounced') }}, {{ parse_date('p.email_bounced_at') }} is not null) as email_bounced,
    coalesce({{ parse_bool('p.do_not_call') }}, false) as do_not_call,
    coalesce({{ parse_bool('p.is_converted') }}, false) as is_converted,
    {{ parse_date('p.converted_at') }} as converted_date,
    -- HubSpot's Associated Company lists every associated company's name, ';'-separated: the first is the primary
    coalesce(trim(p.company_name), trim({{ dbt.split_part('p.associated_company_name', "';'", 1) }})) as company_name,
    {{ clean_domain('p.website') }} as website_domain,
    trim(p.postal_code) as postal_code,
    cast({{ parse_number('p.employees') }} as integer) as employees,
    {{ parse_number('p.annual_revenue') }} as annual_revenue_eur,
    p.siren as siren_raw,
    p.siret as siret_raw,
    {{ parse_date('p.created_at') }} as created_date,
    p.source_file,
    p.record_number
from pivoted as p
left join picklist as stage
    on stage.crm_source = p.crm_source
    and stage.canonical_field = 'lifecycle_stage'
    and stage.label_key = {{ normalize_label('p.lifecycle_stage') }}
left join picklist as status
    on status.crm_source = p.crm_source
    and status.canonical_field = 'lead_status'
    and status.label_key = {{ normalize_label('p.lead_status') }}
where p.crm_person_id is not null
  and not coalesce({{ parse_bool('p.is_deleted') }}, false)  -- Salesforce exports keep deleted records, flagged
