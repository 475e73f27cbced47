-- One row per SIREN with its current revenue: the account with the latest closing date. When that account is
-- confidential the revenue is unknown (null): an older public figure would understate a company that grew.
with ranked as (
    select
        siren,
        date_cloture_exercice,
        fiscal_year,
        revenue_eur,
        is_confidential,
        row_number() over (
            partition by siren
            -- same closing date filed twice: prefer the one with a revenue, then the complete accounts (type C)
            order by date_cloture_exercice desc,
                case when revenue_eur is null then 1 else 0 end,
                case when type_bilan = 'C' then 0 else 1 end
        ) as recency_rank,
        count(*) over (partition by siren) as accounts_filed
    from {{ ref('stg_inpi__ratios') }}
)

select
    siren,
    date_cloture_exercice as revenue_closing_date,
    fiscal_year as revenue_fiscal_year,
    revenue_eur,
    is_confidential as revenue_is_confidential,
    accounts_filed
from ranked
where recency_rank = 1
