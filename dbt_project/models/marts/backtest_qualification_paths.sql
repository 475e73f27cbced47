-- Signal-led against engagement-only qualification in the backtest. A lead's path is set at the first as-of date it
-- was flagged MQL or SQL: signal-led when a business signal (intent score > 0) counted then, engagement-only
-- otherwise. Per path: how many qualified leads got an opportunity and a won deal within var backtest_horizon_days of
-- that date, and the days from the first date they showed any engagement or signal to their first SQL date (leads
-- already active at the first as-of date are left out of that median: when they started is unknown).
with scores as (
    select * from {{ ref('int_backtest__lead_scores') }}
),

first_flag as (
    select lead_id, as_of_date, qualification_path, converted, won
    from (
        select
            lead_id, as_of_date, qualification_path, converted, won,
            row_number() over (partition by lead_id order by as_of_date) as flag_order
        from scores
        where status in ('mql', 'sql')
    ) as flagged
    where flag_order = 1
),

milestones as (
    select
        lead_id,
        min(case when engagement_score > 0 or intent_score > 0 then as_of_date end) as first_active_on,
        min(case when status = 'sql' then as_of_date end) as first_sql_on
    from scores
    group by lead_id
),

paths as (
    select
        f.qualification_path,
        f.lead_id,
        f.converted,
        f.won,
        m.first_sql_on,
        case when m.first_active_on > (select min(as_of_date) from {{ ref('int_backtest__as_of_dates') }})
             then {{ dbt.datediff('m.first_active_on', 'm.first_sql_on', 'day') }} end as days_to_sql
    from first_flag as f
    join milestones as m on m.lead_id = f.lead_id
)

select
    qualification_path,
    count(*) as qualified_leads,
    sum(case when converted then 1 else 0 end) as opportunities,
    round(avg(case when converted then 1.0 else 0.0 end), 4) as conversion_rate,
    sum(case when won then 1 else 0 end) as won,
    round(avg(case when won then 1.0 else 0.0 end), 4) as win_rate,
    sum(case when first_sql_on is not null then 1 else 0 end) as reached_sql,
    count(days_to_sql) as with_days_to_sql,
    {{ median('days_to_sql') }} as median_days_to_sql
from paths
group by qualification_path
