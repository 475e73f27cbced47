-- No backtest row may know something that happened after its as-of date: the lead existed, its last activity and
-- any disqualifying BODACC event were on or before the date, and its first deal (the outcome) came after.
{{ config(meta={'dagster': {'ref': {'name': 'int_backtest__lead_scores'}}}) }}
select s.as_of_date, s.lead_id
from {{ ref('int_backtest__lead_scores') }} as s
join {{ ref('int_backtest__lead_features') }} as f on f.as_of_date = s.as_of_date and f.lead_id = s.lead_id
where s.created_date > s.as_of_date
   or s.last_activity_at >= {{ dbt.dateadd('day', 1, 's.as_of_date') }}
   or f.disqualifying_event_on > s.as_of_date
   or s.opportunity_on <= s.as_of_date
