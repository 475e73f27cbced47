-- Every lead the backtest flagged MQL or SQL at least once: its qualification path, set at the first as-of date it
-- was flagged (signal-led when a business signal — intent score above 0 — counted then, engagement-only otherwise),
-- whether an opportunity and a won deal followed within var backtest_horizon_days of that date, and the days from the
-- first date it showed any engagement or signal to its first SQL date (null for leads already active at the first
-- as-of date: when they started is unknown).
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

first_flag_with_milestones as (
    select
        f.lead_id,
        f.qualification_path,
        f.as_of_date as first_qualified_on,
        m.first_active_on,
        m.first_sql_on,
        f.converted,
        f.won
    from first_flag as f
    join milestones as m on m.lead_id = f.lead_id
)

select
    lead_id,
    qualification_path,
    first_qualified_on,
    first_active_on,
    first_sql_on,
    converted,
    won,
    case when first_active_on > (select min(as_of_date) from {{ ref('int_backtest__as_of_dates') }})
         then {{ dbt.datediff('first_active_on', 'first_sql_on', 'day') }} end as days_to_sql
from first_flag_with_milestones
