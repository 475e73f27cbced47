-- The backtest in one row, for a dashboard tile: the period replayed, how many leads, the top decile's lift against a
-- random order's, MQL and SQL precision and recall against opportunities, the share of won accounts flagged before
-- sales opened the opportunity and how many days earlier, and conversion and days to SQL by qualification path.
with dates as (
    select min(as_of_date) as first_as_of_date, max(as_of_date) as last_as_of_date, count(*) as as_of_dates
    from {{ ref('int_backtest__as_of_dates') }}
),

scores as (
    select
        count(*) as lead_dates,
        count(distinct lead_id) as leads,
        {{ round_half_up("avg(case when converted then 1 else 0 end)", 4) }} as conversion_rate
    from {{ ref('int_backtest__lead_scores') }}
),

top_decile as (
    select lift as top_decile_lift, random_lift as top_decile_random_lift
    from {{ ref('backtest_lift') }}
    where decile = 10
),

accuracy as (
    select
        max(case when flagged_as = 'mql_or_sql' then precision end) as mql_precision,
        max(case when flagged_as = 'mql_or_sql' then recall end) as mql_recall,
        max(case when flagged_as = 'sql' then precision end) as sql_precision,
        max(case when flagged_as = 'sql' then recall end) as sql_recall
    from {{ ref('backtest_status_accuracy') }}
    where outcome = 'opportunity'
),

won as (
    select
        count(*) as won_accounts,
        {{ round_half_up("avg(case when flagged_before_sales then 1 else 0 end)", 4) }} as won_flagged_before_sales_share,
        {{ median('days_earlier') }} as median_days_flagged_earlier
    from {{ ref('backtest_won_accounts') }}
),

paths as (
    select
        max(case when qualification_path = 'signal_led' then conversion_rate end) as signal_led_conversion_rate,
        max(case when qualification_path = 'engagement_only' then conversion_rate end)
            as engagement_only_conversion_rate,
        max(case when qualification_path = 'signal_led' then median_days_to_sql end) as signal_led_median_days_to_sql,
        max(case when qualification_path = 'engagement_only' then median_days_to_sql end)
            as engagement_only_median_days_to_sql
    from {{ ref('backtest_qualification_paths') }}
)

select
    dates.first_as_of_date,
    dates.last_as_of_date,
    dates.as_of_dates,
    {{ var('backtest_horizon_days') }} as horizon_days,
    scores.lead_dates,
    scores.leads,
    scores.conversion_rate,
    top_decile.top_decile_lift,
    top_decile.top_decile_random_lift,
    accuracy.mql_precision,
    accuracy.mql_recall,
    accuracy.sql_precision,
    accuracy.sql_recall,
    won.won_accounts,
    won.won_flagged_before_sales_share,
    won.median_days_flagged_earlier,
    paths.signal_led_conversion_rate,
    paths.engagement_only_conversion_rate,
    paths.signal_led_median_days_to_sql,
    paths.engagement_only_median_days_to_sql
from dates
cross join scores
-- a backtest too small to fill every decile still has its row (its lift unknown)
left join top_decile on 1 = 1
cross join accuracy
cross join won
cross join paths
