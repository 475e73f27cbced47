{{
    config(
        materialized=incremental_on_duckdb(),
        incremental_strategy='append',
        on_schema_change='append_new_columns',
        post_hook="{{ drop_stale_companies(prospects_inputs()) }}"
    )
}}
{#- Daily runs look only at the companies int_companies recomputed since this table was built (its post-hook drops
    their former rows, and those of companies that no longer qualify); other fit rules or other target settings (inputs_fingerprint)
    rebuild it whole. -#}
{%- set inputs = prospects_inputs() -%}
{%- set since = recomputed_since(inputs) -%}
-- The registry companies that may become target accounts, whatever the CRM and BODACC say: active, published in
-- full by INSEE (never a protected unit), fit score at least var target_min_fit_score, and no sole trader unless var
-- target_include_individual_entrepreneurs. About 2 % of the registry: target_accounts reads this instead of the 29 M
-- companies every day.
select
    c.siren,
    c.siret_siege,
    c.company_name,
    c.categorie_juridique_label,
    c.naf_code,
    c.naf_label,
    c.headcount_band,
    c.headcount_band_label,
    c.revenue_eur,
    c.code_postal,
    c.libelle_commune,
    c.departement,
    c.region,
    c.region_name,
    {{- fit_rule_columns('f') }}
    c.computed_at,
    {{ inputs }} as inputs_fingerprint
from {{ ref('int_companies') }} as c
join {{ ref('int_companies__fit') }} as f on f.siren = c.siren
where c.is_active
  and c.is_diffusible
  and f.fit_score >= {{ var('target_min_fit_score') }}
  {% if not var('target_include_individual_entrepreneurs') -%}
  and not c.is_individual_entrepreneur
  {%- endif %}
  {{- only_recomputed_since(since) }}
