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

{#- When the registry files int_companies was built from were landed, as a scalar subquery: every row carries the same
    time once the post-hook below has run, so one row tells. -#}
{% macro registry_in_use() -%}
    (select max(registry_landed_at) from (select registry_landed_at from {{ ref('int_companies') }} limit 1) as c)
{%- endmacro %}

{#- Post-hook of int_companies and int_companies__fit: after a rebuild from newly landed registry files, drop the rows
    of units the new files no longer have (they still carry the earlier landing time); a daily run drops nothing. -#}
{% macro drop_rows_of_an_earlier_registry(landed) -%}
    {%- if execute and is_incremental() -%}
        delete from {{ this }} where registry_landed_at is distinct from {{ landed }}
    {%- endif -%}
{%- endmacro %}

{#- True when the fit must be recomputed for every company: other rules than when it was built, or a unit test. -#}
{% macro fit_rules_changed(fingerprint) -%}
    {%- if not execute or model.resource_type == 'unit_test' or not _has_column('rules_fingerprint')
          or not _has_column('registry_landed_at') -%}
        {{ return(true) }}
    {%- endif -%}
    {{ return(run_query("select coalesce(" ~ fingerprint ~ " is distinct from max(rules_fingerprint), true) from "
                        ~ this).columns[0].values()[0]) }}
{%- endmacro %}

{#- What decides which companies are prospects: the rules (the fit's seeds, the target settings: rules_fingerprint)
    and the registry files. -#}
{% macro prospects_inputs() -%}
    {%- set value = none -%}
    {%- if execute and model.resource_type != 'unit_test' -%}
        {%- set value = run_query("select md5(concat_ws('|', " ~ rules_fingerprint() ~ ", "
                                  ~ "cast(" ~ registry_in_use() ~ " as " ~ dbt.type_string() ~ ")))").columns[0].values()[0] -%}
    {%- endif -%}
    {{ "'" ~ value ~ "'" if value else "cast(null as " ~ dbt.type_string() ~ ")" }}
{%- endmacro %}

{#- Tables rebuilt whole only when their inputs changed (an `inputs_fingerprint` column holds those they were built
    from): true when this run's inputs are the ones the table was built from. -#}
{% macro inputs_unchanged(fingerprint) -%}
    {%- if not execute or model.resource_type == 'unit_test' or not is_incremental()
          or not _has_column('inputs_fingerprint') -%}
        {{ return(false) }}
    {%- endif -%}
    {{ return(run_query("select coalesce(max(inputs_fingerprint) = " ~ fingerprint ~ ", false) from "
                        ~ this).columns[0].values()[0]) }}
{%- endmacro %}

{#- Post-hook of those tables: once the rows of this run are in, drop the rows built from other inputs (all of them
    when the table was rebuilt whole, none otherwise). A post-hook rather than a pre-hook: a table from before the
    fingerprint column gets it added within the run, which DuckDB refuses after a delete in the same transaction. -#}
{% macro drop_rows_of_other_inputs(fingerprint) -%}
    {%- if execute and is_incremental() -%}
        delete from {{ this }} where inputs_fingerprint is distinct from {{ fingerprint }}
    {%- endif -%}
{%- endmacro %}

{#- What int_companies__in_crm is built from: the CRM people (their table's inputs), the rules (rules_fingerprint) and
    the registry files. -#}
{% macro crm_companies_inputs() -%}
    {%- set value = none -%}
    {%- if execute and model.resource_type != 'unit_test' -%}
        {%- set value = run_query("select md5(concat_ws('|', (select max(inputs_fingerprint) from "
                                  ~ ref('int_crm__people') ~ "), " ~ rules_fingerprint() ~ ", cast("
                                  ~ registry_in_use() ~ " as " ~ dbt.type_string() ~ ")))").columns[0].values()[0] -%}
    {%- endif -%}
    {{ "'" ~ value ~ "'" if value else "cast(null as " ~ dbt.type_string() ~ ")" }}
{%- endmacro %}

{#- For a daily run of a registry subset (int_companies__prospects, int_companies__in_crm): the computed_at after
    which int_companies recomputed companies (a SQL timestamp); none when the table is built whole (first run, full
    refresh, other inputs, empty table, unit test). -#}
{% macro recomputed_since(inputs) -%}
    {%- if not inputs_unchanged(inputs) -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set latest = run_query("select max(computed_at) from " ~ this).columns[0].values()[0] -%}
    {{ return("cast('" ~ latest ~ "' as timestamp)" if latest else none) }}
{%- endmacro %}

{#- Post-hook of a registry subset: once the rows of this run are in, drop the rows built from other inputs (the
    table was rebuilt whole) and the rows of companies int_companies has recomputed since (stale: their new row is in
    when they still belong to the subset). Older recomputations are skipped by the scan (computed_at before the
    table's oldest row). -#}
{% macro drop_stale_companies(inputs) -%}
    {%- if execute and is_incremental() -%}
        {%- set oldest = run_query("select min(computed_at) from " ~ this).columns[0].values()[0] -%}
        delete from {{ this }} as t
        where t.inputs_fingerprint is distinct from {{ inputs }}
        {%- if oldest %}
           or exists (select 1 from {{ ref('int_companies') }} as c
                      where c.computed_at > cast('{{ oldest }}' as timestamp)
                        and c.siren = t.siren and c.computed_at > t.computed_at)
        {%- endif %}
    {%- endif -%}
{%- endmacro %}

{#- The fit score and the rule behind each of its points, from the fit table aliased `alias`: the columns the registry
    subsets carry. -#}
{% macro fit_rule_columns(alias) -%}
    {%- for column in ['fit_score', 'sector_points', 'sector_reason', 'headcount_points', 'headcount_reason',
                       'revenue_points', 'revenue_reason', 'geography_points', 'geography_reason'] %}
    {{ alias }}.{{ column }},
    {%- endfor %}
{%- endmacro %}

{#- The filter of a registry subset's daily run (companies `c`, fit `f`): the companies recomputed after `since` (none:
    every company). The fit of a recomputed company is rescored with it and carries its computed_at, so both scans
    skip older rows. -#}
{% macro only_recomputed_since(since) -%}
    {%- if since %}
    and c.computed_at > {{ since }}
    and f.computed_at > {{ since }}
    {%- endif %}
{%- endmacro %}

{#- A fingerprint of the rules the current model is built with, derived from the dbt graph rather than listed: the
    content of every seed it reads, directly or through the models it reads (as loaded in the warehouse, so that an
    edited file counts once `dbt seed` has loaded it), and the value of every var named in its SQL and theirs. Editing
    such a seed or var changes it, and the model is rebuilt whole, as does another language (LEADS_LANGUAGE). (A var
    read only inside a macro is not seen: name it in the model.) -#}
{% macro rules_fingerprint() -%}
    {%- if not execute or model.resource_type == 'unit_test' -%}
        {{ return("cast(null as " ~ dbt.type_string() ~ ")") }}
    {%- endif -%}
    {%- set seeds, code, visited = [], [model.raw_code], [] -%}
    {%- set queue = model.depends_on.nodes | list -%}
    {%- for node_id in queue -%}
        {%- set node = graph.nodes.get(node_id) -%}
        {%- if node_id not in visited and node -%}
            {%- do visited.append(node_id) -%}
            {%- if node.resource_type == 'seed' -%}
                {%- do seeds.append(node) -%}
            {%- elif node.resource_type == 'model' -%}
                {%- do code.append(node.raw_code) -%}
                {%- do queue.extend(node.depends_on.nodes) -%}
            {%- endif -%}
        {%- endif -%}
    {%- endfor -%}
    {%- set names = modules.re.findall("var\\(\\s*['\"](\\w+)['\"]", code | join('\n')) | unique | sort -%}
    {%- set values = ['language=' ~ language()] -%}  {#- the seeds' word columns it reads (reason_fr or reason_en) -#}
    {%- for name in names -%}
        {%- do values.append(name ~ '=' ~ tojson(var(name, none))) -%}
    {%- endfor -%}
    {%- set contents = [] -%}
    {%- for seed in seeds | sort(attribute='name') -%}
        {%- do contents.append("select '" ~ seed.name ~ "' || " ~ row_as_text('t') ~ " as line from "
                               ~ seed.relation_name ~ " as t") -%}
    {%- endfor -%}
    {%- set seeds_hash = run_query(md5_of_sorted_lines(contents | join(' union all ') if contents
                                                       else "select '' as line")).columns[0].values()[0] -%}
    {{ return("'" ~ local_md5(seeds_hash ~ '#' ~ (values | join('|'))) ~ "'") }}
{%- endmacro %}

{#- A whole row (table alias) as one text: DuckDB casts the row, Spark writes it as JSON. -#}
{% macro row_as_text(alias) -%}
    {{ return(adapter.dispatch('row_as_text')(alias)) }}
{%- endmacro %}
{% macro default__row_as_text(alias) -%}
    cast({{ alias }} as {{ dbt.type_string() }})
{%- endmacro %}
{% macro spark__row_as_text(alias) -%}
    to_json(struct({{ alias }}.*))
{%- endmacro %}

{#- The MD5 of the column `line` of a query's rows, sorted and joined by '|': the same whatever order they come in. -#}
{% macro md5_of_sorted_lines(query) -%}
    {{ return(adapter.dispatch('md5_of_sorted_lines')(query)) }}
{%- endmacro %}
{% macro default__md5_of_sorted_lines(query) -%}
    select md5(string_agg(line, '|' order by line)) from ({{ query }}) as lines
{%- endmacro %}
{% macro spark__md5_of_sorted_lines(query) -%}
    select md5(array_join(array_sort(collect_list(line)), '|')) from ({{ query }}) as lines
{%- endmacro %}
