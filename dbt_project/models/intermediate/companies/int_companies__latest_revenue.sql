-- One row per SIREN with its current revenue: the account with the latest closing date. When that account is
-- confidential the revenue is unknown (null): an older public figure would understate a company that grew.
-- A SIREN that filed, for one closing date, both its own accounts (type_bilan C complete or S simplified) and the
-- consolidated accounts of its group (K) is the legal unit the registry describes: its own accounts give the revenue,
-- unless var inpi_prefer_consolidated_accounts is true (the group's revenue, often the buying power sales care about).
{%- set consolidated_first = var('inpi_prefer_consolidated_accounts') %}
with ranked as (
    select
        siren,
        date_cloture_exercice,
        fiscal_year,
        revenue_eur,
        is_confidential,
        type_bilan,
        row_number() over (
            partition by siren
            -- same closing date filed more than once: the preferred kind of accounts, then complete before
            -- simplified, then the one with a revenue
            order by date_cloture_exercice desc,
                case when type_bilan = 'K' then {{ 0 if consolidated_first else 1 }}
                     else {{ 1 if consolidated_first else 0 }} end,
                case type_bilan when 'C' then 0 when 'S' then 1 else 2 end,
                case when revenue_eur is null then 1 else 0 end
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
    type_bilan as revenue_account_type,
    accounts_filed
from ranked
where recency_rank = 1
