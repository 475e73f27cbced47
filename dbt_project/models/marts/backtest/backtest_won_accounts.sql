-- Accounts (a CRM company, or a lead without one) whose first deal was won, the deal opened during the backtest:
-- did the pipeline flag one of their people (MQL or SQL) before sales opened the opportunity, and how many days
-- earlier? Only flags within var backtest_horizon_days before the opportunity count. The backtest scores every 7
-- days, so days_earlier can be up to 6 days short of what a daily run would have given.
with scores as (
    select
        coalesce(company_key, lead_id) as account_key,
        crm_source,
        as_of_date,
        status,
        qualification_path,
        opportunity_on,
        won_on
    from {{ ref('int_backtest__lead_scores') }}
    where won_on is not null
),

accounts as (
    select
        account_key,
        min(crm_source) as crm_source,
        min(opportunity_on) as opportunity_on,
        min(won_on) as won_on
    from scores
    group by account_key
),

flags as (
    select
        s.account_key,
        s.as_of_date,
        s.status,
        s.qualification_path,
        row_number() over (partition by s.account_key order by s.as_of_date, s.status desc, s.qualification_path)
            as flag_order
    from scores as s
    join accounts as a on a.account_key = s.account_key
    where s.status in ('mql', 'sql')
      and s.as_of_date < a.opportunity_on
      and s.as_of_date >= {{ dbt.dateadd('day', -1 * var('backtest_horizon_days'), 'a.opportunity_on') }}
)

select
    a.account_key,
    a.crm_source,
    a.opportunity_on,
    a.won_on,
    f.as_of_date as first_flagged_on,
    f.status as first_flagged_as,
    f.qualification_path,
    f.as_of_date is not null as flagged_before_sales,
    {{ dbt.datediff('f.as_of_date', 'a.opportunity_on', 'day') }} as days_earlier
from accounts as a
left join flags as f on f.account_key = a.account_key and f.flag_order = 1
where a.opportunity_on > (select min(as_of_date) from {{ ref('int_backtest__as_of_dates') }})
