-- The address each web visitor last identified with (a form with an e-mail), up to the as-of date: its anonymous
-- visits, earlier or later, belong to that person.
select visitor_id, email
from (
    select
        visitor_id,
        email,
        row_number() over (partition by visitor_id order by occurred_at desc, event_id) as recency
    from {{ ref('int_intent__web_event_log') }}
    where email is not null
      and visitor_id is not null
      and occurred_at < {{ dbt.dateadd('day', 1, as_of_date()) }}
) as identified
where recency = 1
