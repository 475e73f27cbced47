-- SendGrid events that end the right to e-mail a person (var email_suppression_events), over the whole history:
-- an unsubscribe does not expire with the behaviour retention window.
select distinct
    lower(trim(email)) as email,
    occurred_at,
    event
from {{ source('intent', 'email_events') }}
where event in ({% for e in var('email_suppression_events') %}'{{ e }}'{{ ', ' if not loop.last }}{% endfor %})
  and email is not null
  and occurred_at < {{ dbt.dateadd('day', 1, as_of_date()) }}
