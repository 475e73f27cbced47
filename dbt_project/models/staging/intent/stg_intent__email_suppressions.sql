-- SendGrid events that end the right to e-mail a person, over the whole history: an unsubscribe does not expire with
-- the behaviour retention window. Which events count (vars):
--   * a hard bounce: event bounce of type `bounce`; a `blocked` bounce is soft (the server refused this message, not
--     the address) and a `deferred` event is a delay. A bounce without a type (older payloads) counts when its
--     bounce_classification is absent or one of email_hard_bounce_classifications.
--   * an unsubscribe or a spam report (email_suppression_events);
--   * a group_unsubscribe only for the groups listed in email_suppressing_unsubscribe_groups: leaving the newsletter
--     group does not forbid the other e-mails.
select distinct
    lower(trim(email)) as email,
    occurred_at,
    event
from {{ source('intent', 'email_events') }}
where email is not null
  and occurred_at < {{ dbt.dateadd('day', 1, as_of_date()) }}
  and event in ({{ sql_values(var('email_suppression_events')) }})
  and (
      (event = 'bounce'
       and (bounce_type = 'bounce'
            or (bounce_type is null
                and (bounce_classification is null
                     or bounce_classification in ({{ sql_values(var('email_hard_bounce_classifications')) }})))))
      or (event = 'group_unsubscribe'
          and asm_group_id in ({{ sql_values(var('email_suppressing_unsubscribe_groups')) }}))
      or event not in ('bounce', 'group_unsubscribe')
  )
