-- Lift of the lead score by decile, over every backtest as-of date (10 = the highest lead scores of each date): how
-- much more often than the average lead the leads of a decile got an opportunity (and won a deal) within
-- var backtest_horizon_days. random_lift is what a random order of the same leads finds: the noise to read lift
-- against (a score that knows nothing scores about 1 in every decile).
with scores as (
    select * from {{ ref('int_backtest__lead_scores') }}
),

overall as (
    select
        avg(case when converted then 1 else 0 end) as conversion_rate,
        avg(case when won then 1 else 0 end) as win_rate
    from scores
),

by_score as (
    select
        score_decile as decile,
        count(*) as lead_dates,
        count(distinct lead_id) as leads,
        min(lead_score) as min_lead_score,
        max(lead_score) as max_lead_score,
        count(case when converted then 1 end) as opportunities,
        count(case when won then 1 end) as won
    from scores
    group by score_decile
),

by_random_order as (
    select
        random_decile as decile,
        avg(case when converted then 1 else 0 end) as conversion_rate
    from scores
    group by random_decile
)

select
    s.decile,
    s.lead_dates,
    s.leads,
    s.min_lead_score,
    s.max_lead_score,
    s.opportunities,
    {{ round_half_up("cast(s.opportunities as double) / s.lead_dates", 4) }} as conversion_rate,
    {{ round_half_up("cast(s.opportunities as double) / s.lead_dates / nullif(o.conversion_rate, 0)", 2) }} as lift,
    s.won,
    {{ round_half_up("cast(s.won as double) / s.lead_dates", 4) }} as win_rate,
    {{ round_half_up("cast(s.won as double) / s.lead_dates / nullif(o.win_rate, 0)", 2) }} as win_lift,
    {{ round_half_up("r.conversion_rate / nullif(o.conversion_rate, 0)", 2) }} as random_lift
from by_score as s
cross join overall as o
left join by_random_order as r on r.decile = s.decile
