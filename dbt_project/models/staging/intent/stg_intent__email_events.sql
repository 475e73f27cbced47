-- One row per SendGrid event id, within the retention window. Machine opens (Apple Mail Privacy Protection) are
-- flagged: they carry no engagement.
with events as (
    select *, row_number() over (partition by sg_event_id order by _source_file, _source_line) as occurrence
    from {{ source('intent', 'email_events') }}
)

select
    sg_event_id,
    lower(trim(email)) as email,
    occurred_at,
    event,
    coalesce(sg_machine_open, false) as is_machine_open,
    url,
    category,
    _source_file as source_file
from events
where occurrence = 1
  and occurred_at >= {{ retention_start() }}
  and occurred_at < {{ dbt.dateadd('day', 1, as_of_date()) }}
