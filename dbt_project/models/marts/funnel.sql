-- The funnel lead → MQL → SQL → opportunity → won per monthly cohort of new leads (CRM creation month) and per
-- segment: all leads, CRM, NAF section, headcount band, région, and qualification path (with or without an intent
-- signal). Counts, conversion rates from each stage to the next, and the median days between stages (only for leads
-- whose two dates are known and in order).
with stages as (
    select * from {{ ref('int_leads__funnel_stages') }}
),

segmented as (
    {% set segments = [('all', "'all'"), ('crm_source', 'crm_source'), ('naf_section', 'naf_section'),
                       ('headcount_band', 'headcount_band'), ('region', 'region'),
                       ('qualification_path', 'qualification_path')] -%}
    {%- for segment_type, value in segments %}
    select '{{ segment_type }}' as segment_type, {{ value }} as segment_value, stages.* from stages
    {{ 'union all' if not loop.last }}
    {%- endfor %}
),

{%- set spans = [('created_on', 'mql_on', 'days_lead_to_mql'), ('mql_on', 'sql_on', 'days_mql_to_sql'),
                 ('sql_on', 'opportunity_on', 'days_sql_to_opportunity'),
                 ('opportunity_on', 'won_on', 'days_opportunity_to_won')] %}

counted as (
    select
        cohort_month,
        segment_type,
        segment_value,
        count(*) as leads,
        count(case when reached_mql then 1 end) as mqls,
        count(case when reached_sql then 1 end) as sqls,
        count(case when reached_opportunity then 1 end) as opportunities,
        count(case when reached_won then 1 end) as won
        {%- for start, finish, name in spans %},
        {{ median("case when " ~ finish ~ " >= " ~ start ~ " then "
                  ~ dbt.datediff(start, finish, 'day') ~ " end") }} as median_{{ name }}
        {%- endfor %}
    from segmented
    group by cohort_month, segment_type, segment_value
)

select
    *,
    cast(mqls as double) / leads as lead_to_mql_rate,
    case when mqls > 0 then cast(sqls as double) / mqls end as mql_to_sql_rate,
    case when sqls > 0 then cast(opportunities as double) / sqls end as sql_to_opportunity_rate,
    case when opportunities > 0 then cast(won as double) / opportunities end as opportunity_to_won_rate,
    cast(won as double) / leads as lead_to_won_rate
from counted
