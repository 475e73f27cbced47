-- SendGrid events tied to CRM people by e-mail.
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
from {{ ref('stg_intent__email_events') }} as e
