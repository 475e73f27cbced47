-- Everything the qualification rules look at, one row per CRM person (lead_id = crm_source:record id): the person
-- and what the CRM says of them, the matched company's firmographics and fit, the person's engagement, the company's
-- and the person's signals, legal events, e-mail suppressions and open deals. Joins only; the rules are in
-- int_leads__qualification.
with people as (
    select * from {{ ref('int_crm__people') }}
),

person_signals as (
    {{ person_intent(ref('int_signals__scored')) }}
),

-- contact and company record ids are separate spaces in a CRM: open deals are looked up by each on its own
people_with_open_deals as (
    select distinct person_key from {{ ref('int_crm__deals') }} where not is_closed and person_key is not null
),

companies_with_open_deals as (
    select distinct company_key from {{ ref('int_crm__deals') }} where not is_closed and company_key is not null
),

-- the leads' companies with their fit: int_companies__in_crm keeps them apart from the 29 M-row registry
lead_companies as (
    select * from {{ ref('int_companies__in_crm') }}
)

select
    p.person_key as lead_id,
    p.crm_source,
    p.person_type,
    p.crm_person_id,
    p.company_key,
    p.email,
    p.first_name,
    p.last_name,
    p.job_title,
    p.lifecycle_stage,
    p.lead_status,
    p.email_opt_out,
    p.email_bounced,
    p.do_not_call,
    -- converted in the CRM: its own flag (IsConverted), or a lead status of var crm_converted_lead_statuses
    coalesce(p.is_converted or p.lead_status_code in ({{ sql_values(var('crm_converted_lead_statuses')) }}), false)
        as is_converted,
    p.company_name_in_crm,
    p.created_date,
    p.siren,
    p.siret,
    p.match_method,
    p.match_confidence,
    c.company_name as registered_name,
    c.naf_code,
    c.naf_label,
    c.naf_section_code,
    c.headcount_band,
    c.headcount_band_label,
    c.headcount_min,
    c.revenue_eur,
    c.departement,
    c.region,
    c.region_name,
    c.is_active as company_is_active,
    c.is_diffusible as company_is_diffusible,
    coalesce(c.fit_score, 0) as fit_score,
    -- the fit rules that gave the points, for the score reasons
    c.sector_points,
    c.sector_reason,
    c.headcount_points,
    c.headcount_reason,
    c.revenue_points,
    c.revenue_reason,
    c.geography_points,
    c.geography_reason,
    coalesce(e.engagement_score, 0) as engagement_score,
    e.last_activity_at,
    coalesce(e.requested_demo, false) as requested_demo,
    coalesce(e.has_pricing_burst, false) as has_pricing_burst,
    coalesce(e.engaged_with_buying_content, false) as engaged_with_buying_content,
    cast(least(100, round(coalesce(cs.signal_points, 0) + coalesce(ps.signal_points, 0), 0)) as integer)
        as intent_score,
    coalesce(cs.has_budget_signal, false) as has_budget_signal,
    coalesce(cs.has_timing_signal, false) as has_timing_signal,
    coalesce(t.is_decision_role, false) as title_is_decision_role,
    coalesce(ps.took_decision_role, false) as took_decision_role,
    d.disqualifying_event,
    d.disqualifying_event_on,
    s.suppression_event,
    s.suppressed_at,
    coalesce(not c.is_active, false) as company_is_ceased,
    {% set words = var('crm_unqualified_status_words') -%}
    coalesce(p.lead_status_code in ({{ sql_values(var('crm_disqualified_lead_statuses')) }}) or
        {%- for word in words %}
        {{ normalize_words('p.lead_status') }} like '%{{ word }}%'{{ ' or' if not loop.last }}
        {%- endfor %}
    , false) as crm_marked_unqualified,
    coalesce(p.lifecycle_stage in ({% for s in var('crm_sql_lifecycle_stages') %}'{{ s }}'{{ ', ' if not loop.last }}{% endfor %}), false)
        as crm_stage_is_sql,
    (od_person.person_key is not null or od_company.company_key is not null) as has_open_deal
from people as p
left join lead_companies as c on c.siren = p.siren
left join {{ ref('int_people__engagement') }} as e on e.email = p.email
left join {{ ref('int_companies__signals') }} as cs on cs.siren = p.siren
left join person_signals as ps on ps.email = p.email
left join {{ ref('int_scoring__job_titles') }} as t on t.job_title = p.job_title
left join {{ ref('int_companies__legal_disqualifications') }} as d on d.siren = p.siren
left join {{ ref('int_people__email_suppressions') }} as s on s.email = p.email
left join people_with_open_deals as od_person on od_person.person_key = p.person_key
left join companies_with_open_deals as od_company on od_company.company_key = p.company_key
