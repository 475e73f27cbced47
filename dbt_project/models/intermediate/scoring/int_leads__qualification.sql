-- The qualification of every lead at each as-of date, from its features: the lead's intent score, the lead score,
-- the four BANT flags, the status with what decided it and the sentence a salesperson reads, and whether the person
-- may be contacted. Status rules in the order of the data contract: disqualified, then sql, then mql, then lead.
-- Every threshold is a var of dbt_project.yml; the weights are var lead_score_weights.
with features as (
    select
        as_of_date, lead_id, crm_source, person_type, company_key, email, lifecycle_stage, lead_status, email_opt_out,
        email_bounced, created_date, siren, naf_section_code, headcount_band, headcount_min, revenue_eur, region,
        company_is_active, company_is_diffusible, company_is_ceased, fit_score, engagement_score, last_activity_at,
        requested_demo, has_pricing_burst, engaged_with_buying_content, company_signal_points, person_signal_points,
        has_budget_signal, has_timing_signal, title_is_decision_role, took_decision_role, disqualifying_event,
        disqualifying_event_on, suppression_event, suppressed_at, is_converted, crm_marked_unqualified,
        crm_stage_is_sql, has_open_deal
    from {{ ref('int_leads__features') }}
),

-- a lead's intent: the signals of its company and its own (a job change), capped at 100
with_intent as (
    select
        features.*,
        cast(least(100, round(coalesce(company_signal_points, 0) + coalesce(person_signal_points, 0), 0)) as integer)
            as intent_score
    from features
),

scored as (
    select
        with_intent.*,
        {{ weighted_score('lead_score_weights',
                          {'fit': 'fit_score', 'engagement': 'engagement_score', 'intent': 'intent_score'}) }}
            as lead_score,
        -- Budget: a big enough company, or money just raised
        coalesce(revenue_eur >= {{ var('bant_budget_min_revenue_eur') }}, false)
            or coalesce(headcount_min >= {{ var('bant_budget_min_headcount') }}, false)
            or has_budget_signal as bant_budget,
        -- Authority: the title names a decision role, or a job change just put the person in one
        title_is_decision_role or took_decision_role as bant_authority,
        -- Need: buying content (pricing or product pages, demo, download, webinar) in the scoring window
        engaged_with_buying_content as bant_need,
        -- Timing: a demo request, a pricing burst, or a recent funding, hiring or leadership change
        requested_demo or has_pricing_burst or has_timing_signal as bant_timing
    from with_intent
),

decided as (
    select
        scored.*,
        case
            when company_is_ceased then 'company_ceased'
            when disqualifying_event is not null then 'bodacc_' || disqualifying_event
            when crm_marked_unqualified then 'crm_unqualified'
        end as disqualification_source,
        case
            when crm_stage_is_sql then 'crm_lifecycle_stage'
            when is_converted then 'crm_converted_lead'
            when has_open_deal then 'open_opportunity'
            when bant_budget and bant_authority and bant_need and bant_timing then 'bant'
        end as sql_evidence,
        case
            when requested_demo then 'demo_request'
            when lead_score >= {{ var('mql_threshold') }} then 'lead_score'
        end as mql_source
    from scored
)

select
    as_of_date,
    lead_id,
    crm_source,
    person_type,
    company_key,
    email,
    lifecycle_stage,
    lead_status,
    email_opt_out,
    email_bounced,
    created_date,
    siren,
    naf_section_code,
    headcount_band,
    headcount_min,
    revenue_eur,
    region,
    company_is_active,
    company_is_diffusible,
    company_is_ceased,
    disqualifying_event,
    disqualifying_event_on,
    is_converted,
    crm_marked_unqualified,
    crm_stage_is_sql,
    has_open_deal,
    last_activity_at,
    requested_demo,
    has_pricing_burst,
    fit_score,
    engagement_score,
    intent_score,
    lead_score,
    bant_budget,
    bant_authority,
    bant_need,
    bant_timing,
    disqualification_source,
    mql_source,
    case
        when disqualification_source is not null then 'disqualified'
        when sql_evidence is not null then 'sql'
        when mql_source is not null then 'mql'
        else 'lead'
    end as status,
    case when disqualification_source is null then sql_evidence end as sql_source,
    -- the sentence a salesperson reads, in the language of the run (seed reason_phrases)
    case
        when disqualification_source = 'company_ceased' then {{ phrase('status_company_ceased') }}
        when disqualification_source = 'bodacc_collective_proceeding'
            then replace({{ phrase('status_collective_proceeding') }}, '{date}',
                         cast(disqualifying_event_on as {{ dbt.type_string() }}))
        when disqualification_source = 'bodacc_deregistration'
            then replace({{ phrase('status_deregistration') }}, '{date}',
                         cast(disqualifying_event_on as {{ dbt.type_string() }}))
        when disqualification_source = 'crm_unqualified'
            then replace(replace({{ phrase('status_crm_unqualified') }}, '{lead_status}', lead_status),
                         '{crm}', crm_source)
        when sql_evidence = 'crm_lifecycle_stage'
            then replace(replace({{ phrase('status_crm_lifecycle_stage') }}, '{stage}', lifecycle_stage),
                         '{crm}', crm_source)
        when sql_evidence = 'crm_converted_lead'
            then replace({{ phrase('status_crm_converted_lead') }}, '{crm}', crm_source)
        when sql_evidence = 'open_opportunity'
            then replace({{ phrase('status_open_opportunity') }}, '{crm}', crm_source)
        when sql_evidence = 'bant' then {{ phrase('status_bant') }}
        when mql_source = 'demo_request' then {{ phrase('status_demo_request') }}
        when mql_source = 'lead_score'
            then replace(replace({{ phrase('status_lead_score_mql') }}, '{score}',
                                 cast(lead_score as {{ dbt.type_string() }})), '{threshold}', '{{ var("mql_threshold") }}')
        else replace(replace({{ phrase('status_lead') }}, '{score}', cast(lead_score as {{ dbt.type_string() }})),
                     '{threshold}', '{{ var("mql_threshold") }}')
    end as status_reason,
    not email_opt_out and not email_bounced and suppression_event is null and coalesce(company_is_diffusible, true)
        as contactable,
    case
        when email_opt_out then {{ phrase('not_contactable_opt_out') }}
        when email_bounced then {{ phrase('not_contactable_crm_bounce') }}
        when suppression_event = 'bounce' then {{ phrase('not_contactable_bounce') }}
        when suppression_event = 'unsubscribe' then {{ phrase('not_contactable_unsubscribe') }}
        when suppression_event = 'group_unsubscribe' then {{ phrase('not_contactable_group_unsubscribe') }}
        when suppression_event = 'spamreport' then {{ phrase('not_contactable_spamreport') }}
        when suppression_event is not null then 'e-mail ' || replace(suppression_event, '_', ' ')
        when not coalesce(company_is_diffusible, true) then {{ phrase('not_contactable_protected') }}
    end as not_contactable_reason,
    suppression_event,
    suppressed_at
from decided
