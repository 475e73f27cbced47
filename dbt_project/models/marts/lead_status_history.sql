-- Every status change of every current lead, dated by the as-of date of the run that saw it, with the status before
-- and how many days the lead spent in it: time-to-MQL and time-to-SQL are measured here. Built from the change log
-- int_leads__status_changes; a day replayed out of order never shows the same status twice in a row.
with changes as (
    select *,
           lag(status) over (partition by lead_id order by changed_on) as logged_previous_status
    from {{ ref('int_leads__status_changes') }}
    where lead_id in (select lead_id from {{ ref('int_leads__qualification') }} where as_of_date = {{ as_of_date() }})
),

real_changes as (
    select * from changes
    where logged_previous_status is null or logged_previous_status <> status
)

select
    lead_id,
    changed_on,
    lag(status) over (partition by lead_id order by changed_on) as previous_status,
    status,
    sql_source,
    lead_score,
    {{ dbt.datediff('lag(changed_on) over (partition by lead_id order by changed_on)', 'changed_on', 'day') }}
        as days_in_previous_status
from real_changes
