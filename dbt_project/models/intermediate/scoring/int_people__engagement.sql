-- Engagement of each known person (by e-mail) at each as-of date: the sum of their decayed activity points, capped at
-- 100, and the behaviour BANT and the MQL rule look at (a demo request, a pricing burst, buying content).
select
    as_of_date,
    email,
    cast(least(100, round(sum(points), 0)) as integer) as engagement_score,
    sum(points) as engagement_points,
    count(*) as activities,
    max(occurred_at) as last_activity_at,
    max(case when activity = 'demo_request' then 1 else 0 end) = 1 as requested_demo,
    max(case when activity = 'pricing_burst' then 1 else 0 end) = 1 as has_pricing_burst,
    max(case when is_buying_content then 1 else 0 end) = 1 as engaged_with_buying_content
from {{ ref('int_scoring__activities') }}
where email is not null
group by as_of_date, email
