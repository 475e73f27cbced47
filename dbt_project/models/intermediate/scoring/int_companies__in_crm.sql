{{
    config(
        materialized=incremental_on_duckdb(),
        incremental_strategy='append',
        on_schema_change='append_new_columns',
        post_hook="{{ drop_stale_companies(crm_companies_inputs()) }}"
    )
}}
{#- Daily runs revisit only the companies int_companies recomputed since this table was built (its post-hook drops
    their former rows); other CRM people or other fit rules (inputs_fingerprint) rebuild it whole. -#}
{%- set inputs = crm_companies_inputs() -%}
{%- set since = recomputed_since(inputs) -%}
-- The registry companies the CRM's people belong to (about 130 000 of the 29 M at national scale), with their
-- firmographics and fit: what the lead features read instead of the whole registry.
select
    c.siren,
    c.company_name,
    c.naf_code,
    c.naf_label,
    c.naf_section_code,
    c.headcount_band,
    c.headcount_band_label,
    c.headcount_min,
    c.revenue_eur,
    c.departement,
    c.region,
    c.region_name,
    c.is_active,
    c.ceased_on,
    c.is_diffusible,
    {{- fit_rule_columns('f') }}
    c.computed_at,
    {{ inputs }} as inputs_fingerprint
from {{ ref('int_companies') }} as c
join {{ ref('int_companies__fit') }} as f on f.siren = c.siren
where c.siren in (select siren from {{ ref('int_crm__people') }})
  {{- only_recomputed_since(since) }}
