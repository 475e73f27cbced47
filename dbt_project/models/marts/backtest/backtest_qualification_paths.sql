-- Signal-led against engagement-only qualification in the backtest (paths of marts.backtest_qualified_leads): how
-- many qualified leads got an opportunity and a won deal within var backtest_horizon_days of their first
-- qualification, how many reached SQL, and the median days from their first engagement or signal to SQL.
select
    qualification_path,
    count(*) as qualified_leads,
    count(case when converted then 1 end) as opportunities,
    {{ round_half_up("avg(case when converted then 1 else 0 end)", 4) }} as conversion_rate,
    count(case when won then 1 end) as won,
    {{ round_half_up("avg(case when won then 1 else 0 end)", 4) }} as win_rate,
    count(case when first_sql_on is not null then 1 end) as reached_sql,
    count(days_to_sql) as with_days_to_sql,
    {{ median('days_to_sql') }} as median_days_to_sql
from {{ ref('backtest_qualified_leads') }}
group by qualification_path
