-- Every rule that gave a lead points at today's as-of date (the one qualified_leads shows; the backtest's dates need
-- no words), one row each, in a salesperson's words: fit rules of the matched company, engagement by kind of
-- activity (with how often it happened), and each signal of the company and of the person. The words come from the
-- `reason_fr` or `reason_en` column (macro language()) of the seed row that gave the points, the words around them
-- from seed reason_phrases.
with todays_features as (
    select as_of_date, lead_id, email, siren
    from {{ ref('int_leads__features') }}
    where as_of_date = {{ as_of_date() }}
),

leads as (
    select as_of_date, lead_id, email, siren from todays_features
),

-- the fit rules of each lead's company, from the registry subset of the CRM's companies (the registry-wide fit table
-- is not read again)
lead_fit as (
    select
        l.as_of_date, l.lead_id, c.sector_points, c.sector_reason, c.headcount_points, c.headcount_reason,
        c.revenue_points, c.revenue_reason, c.geography_points, c.geography_reason
    from todays_features as l
    join {{ ref('int_companies__in_crm') }} as c on c.siren = l.siren
),

fit_rules as (
    select as_of_date, lead_id, 1 as rule_order, 'sector' as rule, sector_points as points, sector_reason as reason
    from lead_fit
    union all
    select as_of_date, lead_id, 2, 'headcount', headcount_points, headcount_reason from lead_fit
    union all
    select as_of_date, lead_id, 3, 'revenue', revenue_points, revenue_reason from lead_fit
    union all
    select as_of_date, lead_id, 4, 'geography', geography_points, geography_reason from lead_fit
),

activity_words as (
    select distinct activity, reason from {{ ref('int_scoring__activity_points') }}
),

activities as (
    select
        l.as_of_date,
        l.lead_id,
        a.activity,
        w.reason,
        count(*) as occurrences,
        sum(a.points) as points
    from leads as l
    join {{ ref('int_scoring__activities') }} as a on a.as_of_date = l.as_of_date and a.email = l.email
    join activity_words as w on w.activity = a.activity
    group by l.as_of_date, l.lead_id, a.activity, w.reason
),

signals as (  -- company signals by SIREN, the person's by e-mail (two equality joins, not one join with an OR)
    select l.as_of_date, l.lead_id, s.signal_key, s.points,
           replace({{ phrase('company_signal') }}, '{reason}', s.reason) as reason, s.detail,
           s.occurred_on
    from leads as l
    join {{ ref('int_signals__scored') }} as s
      on s.as_of_date = l.as_of_date and s.subject_type = 'company' and s.siren = l.siren
    union all
    select l.as_of_date, l.lead_id, s.signal_key, s.points, s.reason, s.detail, s.occurred_on
    from leads as l
    join {{ ref('int_signals__scored') }} as s
      on s.as_of_date = l.as_of_date and s.subject_type = 'person' and s.email = l.email
)

select as_of_date, lead_id, 'fit' as component, rule, 1 as occurrences, cast(points as decimal(18, 4)) as points,
       reason, rule_order
from fit_rules
where points > 0
union all
select as_of_date, lead_id, 'fit', 'not_matched', 1, cast(0 as decimal(18, 4)),
       {{ phrase('not_matched') }}, 0
from todays_features
where siren is null
union all
select as_of_date, lead_id, 'engagement', activity, occurrences, points,
       reason || case when occurrences > 1 then ' ×' || cast(occurrences as {{ dbt.type_string() }}) else '' end,
       0
from activities
union all
select as_of_date, lead_id, 'intent', signal_key, 1, points,
       reason || coalesce(' (' || detail || ')', '') || ' '
           || replace({{ phrase('on_date') }}, '{date}', cast(occurred_on as {{ dbt.type_string() }})), 0
from signals
