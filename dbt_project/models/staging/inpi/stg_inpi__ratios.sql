-- One row per filed account (SIREN, closing date, type). A confidential filing, whole ("Confidentiel") or partial
-- ("Partiellement confidentiel": the income statement is withheld, the file carries 0), has no revenue: unknown,
-- never zero.
with source as (
    select * from {{ source('inpi', 'inpi_ratios') }}
)

select
    lpad(trim(siren), 9, '0') as siren,
    date_cloture_exercice,
    extract(year from date_cloture_exercice) as fiscal_year,
    lower(coalesce(confidentiality, '')) like '%confidenti%' as is_confidential,
    case when lower(coalesce(confidentiality, '')) like '%confidenti%' then null else chiffre_d_affaires end
        as revenue_eur,
    marge_brute as gross_margin_eur,
    ebe as ebitda_eur,
    ebit as ebit_eur,
    resultat_net as net_income_eur,
    taux_d_endettement as debt_ratio_pct,
    ratio_de_liquidite as liquidity_ratio,
    autonomie_financiere as equity_ratio_pct,
    marge_ebe as ebitda_margin_pct,
    caf_sur_ca as cash_flow_to_revenue_pct,
    credit_clients_jours as customer_credit_days,
    credit_fournisseurs_jours as supplier_credit_days,
    upper(trim(type_bilan)) as type_bilan,
    confidentiality
from source
