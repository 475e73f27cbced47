{#- Incremental registry models: daily runs recompute only the companies API Sirene updated; the monthly stock, a new
    INPI file or new scoring rules rebuild them all. -#}

{#- When the stock and INPI files were last landed (raw._load_log, written by ingestion), as a SQL timestamp. -#}
{% macro registry_landed_at() -%}
    {%- set value = none -%}
    {%- if execute and adapter.get_relation(database=target.database, schema='raw', identifier='_load_log') -%}
        {%- set value = run_query("select max(finished_at) from raw._load_log where table_name in "
                                  ~ "('sirene_unites_legales', 'sirene_etablissements', 'inpi_ratios')").columns[0].values()[0] -%}
    {%- endif -%}
    {{ "cast('" ~ value ~ "' as timestamp)" if value else "cast(null as timestamp)" }}
{%- endmacro %}

{#- Whether the table has this column (a table built before the column existed is rebuilt whole). -#}
{% macro _has_column(column) -%}
    {{ return(column in (adapter.get_columns_in_relation(this) | map(attribute='name') | list)) }}
{%- endmacro %}

{#- True when the table must be rebuilt whole: files landed after it was built, or the model run as a unit test. -#}
{% macro registry_changed_since_built(landed) -%}
    {%- if not execute or model.resource_type == 'unit_test' or not _has_column('registry_landed_at') -%}
        {{ return(true) }}
    {%- endif -%}
    {%- set changed = run_query("select coalesce(" ~ landed ~ " is distinct from max(registry_landed_at), true) from "
                                ~ this).columns[0].values()[0] -%}
    {{ return(changed) }}
{%- endmacro %}

{#- A fingerprint of the scoring rules the fit reads (seeds/scoring/icp_*): an analyst's edit changes it. -#}
{% macro fit_rules_fingerprint() -%}
    {%- set value = none -%}
    {%- if execute and model.resource_type != 'unit_test' -%}
        {%- set parts = [] -%}
        {%- for seed in ['icp_naf', 'icp_headcount_bands', 'icp_revenue_ranges', 'icp_geography'] -%}
            {%- do parts.append("select '" ~ seed ~ "' || cast(t as " ~ dbt.type_string() ~ ") as rule from " ~ ref(seed) ~ " as t") -%}
        {%- endfor -%}
        {%- set value = run_query("select md5(string_agg(rule, '|' order by rule)) from (" ~ parts | join(' union all ')
                                  ~ ") as rules").columns[0].values()[0] -%}
    {%- endif -%}
    {{ "'" ~ value ~ "'" if value else "cast(null as " ~ dbt.type_string() ~ ")" }}
{%- endmacro %}

{#- True when the fit must be recomputed for every company: other rules than when it was built, or a unit test. -#}
{% macro fit_rules_changed(fingerprint) -%}
    {%- if not execute or model.resource_type == 'unit_test' or not _has_column('rules_fingerprint') -%}
        {{ return(true) }}
    {%- endif -%}
    {{ return(run_query("select coalesce(" ~ fingerprint ~ " is distinct from max(rules_fingerprint), true) from "
                        ~ this).columns[0].values()[0]) }}
{%- endmacro %}

{#- What decides which companies are prospects: the fit rules the fit was scored with (every row of the fit carries
    the same fingerprint, as other rules rescore it whole: one row tells) and the target settings. -#}
{% macro prospect_selection_fingerprint() -%}
    {%- set value = none -%}
    {%- if execute and model.resource_type != 'unit_test' -%}
        {%- set value = run_query("select md5(coalesce(max(rules_fingerprint), '') || '|"
                                  ~ var('target_min_fit_score') ~ "|" ~ var('target_include_individual_entrepreneurs')
                                  ~ "') from (select rules_fingerprint from " ~ ref('int_companies__fit')
                                  ~ " limit 1) as fit").columns[0].values()[0] -%}
    {%- endif -%}
    {{ "'" ~ value ~ "'" if value else "cast(null as " ~ dbt.type_string() ~ ")" }}
{%- endmacro %}

{#- For a daily run of int_companies__prospects, the computed_at after which companies were recomputed (a SQL
    timestamp); none when the table is built whole (first run, full refresh, other selection, unit test). -#}
{% macro prospects_recomputed_since(selection) -%}
    {%- if not execute or model.resource_type == 'unit_test' or not is_incremental()
          or not _has_column('selection_fingerprint') -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set row = run_query("select max(computed_at), coalesce(" ~ selection ~ " is distinct from "
                            ~ "max(selection_fingerprint), true) from " ~ this).rows[0] -%}
    {%- if row[1] or row[0] is none -%}
        {{ return(none) }}
    {%- endif -%}
    {{ return("cast('" ~ row[0] ~ "' as timestamp)") }}
{%- endmacro %}

{#- Pre-hook of int_companies__prospects: forget the companies recomputed since the table was built (the model adds
    back those still qualifying), or every row when it is rebuilt whole. -#}
{% macro forget_recomputed_prospects() -%}
    {%- if is_incremental() -%}
        {%- set since = prospects_recomputed_since(prospect_selection_fingerprint()) -%}
        {%- if since -%}
            delete from {{ this }} where siren in (select siren from {{ ref('int_companies') }} where computed_at > {{ since }})
        {%- else -%}
            delete from {{ this }}
        {%- endif -%}
    {%- endif -%}
{%- endmacro %}
