{{ config(materialized='view') }}
-- SendGrid events up to the as-of date tied to CRM people by e-mail. A view over the event log: a new CRM export
-- changes who is known without rewriting the events.
select
    e.sg_event_id,
    e.email,
    e.occurred_at,
    e.event,
    e.is_machine_open,
    e.url,
    e.category,
    coalesce(e.email in (select email from {{ ref('int_crm__people') }} where email is not null), false)
        as is_known_person
from {{ ref('int_intent__email_event_log') }} as e
where e.occurred_at < {{ dbt.dateadd('day', 1, as_of_date()) }}
