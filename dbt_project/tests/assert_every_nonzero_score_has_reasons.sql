{{ config(meta={'dagster': {'ref': {'name': 'qualified_leads'}}}) }}
-- A salesperson must be able to see why a score is not zero: every lead with fit, engagement or intent points has at
-- least one reason with points for that component.
with reasons as (
    select lead_id, component, sum(points) as points
    from {{ ref('int_leads__score_reasons') }}
    where as_of_date = {{ as_of_date() }}
    group by lead_id, component
)

select q.lead_id, c.component
from {{ ref('qualified_leads') }} as q
cross join (select 'fit' as component union all select 'engagement' union all select 'intent') as c
left join reasons as r on r.lead_id = q.lead_id and r.component = c.component
where case c.component when 'fit' then q.fit_score when 'engagement' then q.engagement_score
                       else q.intent_score end > 0
  and coalesce(r.points, 0) <= 0
