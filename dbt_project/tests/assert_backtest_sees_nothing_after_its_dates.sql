-- No backtest row may know something that happened after its as-of date: the lead existed, its last activity and
-- any disqualifying BODACC event were on or before the date, and its first deal (the outcome) came after.
select as_of_date, lead_id
from {{ ref('int_backtest__lead_scores') }}
where created_date > as_of_date
   or last_activity_at >= {{ dbt.dateadd('day', 1, 'as_of_date') }}
   or disqualifying_event_on > as_of_date
   or opportunity_on <= as_of_date
