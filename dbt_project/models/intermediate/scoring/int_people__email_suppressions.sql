-- People who must not be e-mailed because of what SendGrid reported (var email_suppression_events: hard bounces,
-- unsubscribes, spam reports), with the first such event. Consent is not behaviour: these are read over the whole
-- history, not only the retention window.
select
    email,
    min(occurred_at) as suppressed_at,
    min(event) as suppression_event
from {{ ref('stg_intent__email_suppressions') }}
group by email
