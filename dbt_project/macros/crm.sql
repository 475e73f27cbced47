{#- One row per CRM record of the given object types, one column per canonical field: the pivot of stg_crm__fields
    that each CRM staging model starts from. -#}
{% macro crm_records_pivot(object_types, fields) -%}
    select
        crm_source,
        object_type,
        source_file,
        record_number,
        {%- for field in fields %}
        max(case when canonical_field = '{{ field }}' then value end) as {{ field }}{{ "," if not loop.last }}
        {%- endfor %}
    from {{ ref('stg_crm__fields') }}
    where object_type in ('{{ object_types | join("', '") }}')
    group by crm_source, object_type, source_file, record_number
{%- endmacro %}

{#- Per lead, the day its first deal was created (opportunity_on) and the close day of its first won deal (won_on),
    counting the deals of the person and of their CRM company (two equality joins rather than one with an OR).
    `leads` has lead_id and company_key; `deals` has person_key, company_key, created_date, close_date, is_won. -#}
{% macro lead_deal_dates(leads, deals) -%}
select
    lead_id,
    min(created_date) as opportunity_on,
    min(case when is_won then close_date end) as won_on
from (
    select l.lead_id, d.created_date, d.close_date, d.is_won
    from {{ leads }} as l join {{ deals }} as d on d.person_key = l.lead_id
    union all
    select l.lead_id, d.created_date, d.close_date, d.is_won
    from {{ leads }} as l join {{ deals }} as d on d.company_key = l.company_key
) as lead_deals
group by lead_id
{%- endmacro %}

{#- What int_crm__people is built from, as a SQL string literal: the latest CRM export landed and the records left
    (an erasure deletes some), the erasure requests, when the company matches were computed, and the rules (the seeds
    and vars it and its upstream models read: rules_fingerprint). -#}
{% macro crm_people_inputs() -%}
    {%- set value = none -%}
    {%- if execute and model.resource_type != 'unit_test' -%}
        {%- set landed = "(select max(finished_at) from raw._load_log where table_name = 'crm_records')"
            if adapter.get_relation(database=target.database, schema='raw', identifier='_load_log') else "null" -%}
        {%- set value = run_query(
            "select md5(concat_ws('|', cast(" ~ landed ~ " as " ~ dbt.type_string() ~ ")"
            ~ ", cast((select count(*) from " ~ source('crm', 'crm_records') ~ ") as " ~ dbt.type_string() ~ ")"
            ~ ", cast((select count(*) from " ~ ref('stg_crm__erasure_requests') ~ ") as " ~ dbt.type_string() ~ ")"
            ~ ", cast((select max(computed_at) from " ~ ref('int_crm__company_matches') ~ ") as " ~ dbt.type_string() ~ ")"
            ~ ", " ~ rules_fingerprint() ~ "))").columns[0].values()[0] -%}
    {%- endif -%}
    {{ "'" ~ value ~ "'" if value else "cast(null as " ~ dbt.type_string() ~ ")" }}
{%- endmacro %}

{#- A record ID as exported, or null: empty, or Salesforce's empty lookup 000000000000000AAA (Data Export writes it
    for a reference that points nowhere). -#}
{% macro crm_record_id(column) -%}
    nullif(nullif(trim({{ column }}), ''), '000000000000000AAA')
{%- endmacro %}

{#- Pre-hook of the status log: replace the as-of date's rows (a rerun of a day) and forget the leads whose e-mail
    address asked to be erased. Rows logged before the log kept addresses get theirs from the CRM people first. -#}
{% macro forget_erased_leads_in_status_log() -%}
    {{ return(adapter.dispatch('forget_erased_leads_in_status_log')()) }}
{%- endmacro %}

{% macro default__forget_erased_leads_in_status_log() -%}
    {%- if load_relation(this) is not none -%}
    alter table {{ this }} add column if not exists email {{ dbt.type_string() }};
    update {{ this }} as l set email = p.email
    from {{ ref('int_crm__people') }} as p
    where l.email is null and p.person_key = l.lead_id;
    delete from {{ this }}
    where changed_on = {{ as_of_date() }}
       or {{ email_sha256('email') }} in (select email_sha256 from {{ ref('stg_crm__erasure_requests') }})
    {%- endif -%}
{%- endmacro %}

{#- On Spark a rerun of the day needs nothing here (its rows replace the day's partition, insert_overwrite), and the
    log always had its addresses. A log holding people who asked to be erased is rewritten without them: their rows
    are kept aside in a table, the log emptied and filled again from it (not atomic: a failure in between leaves the
    rows in the side table, which the next run restores). -#}
{% macro spark__forget_erased_leads_in_status_log() -%}
    {%- if execute and load_relation(this) is not none -%}
        {%- set erased = email_sha256('email') ~ " in (select email_sha256 from " ~ ref('stg_crm__erasure_requests') ~ ")" -%}
        {%- set kept = this.schema ~ "." ~ this.identifier ~ "__kept" -%}
        {%- set side_table = load_relation(api.Relation.create(schema=this.schema, identifier=this.identifier ~ "__kept")) -%}
        {%- if side_table is none and run_query("select count(*) from " ~ this ~ " where " ~ erased).columns[0].values()[0] > 0 -%}
            {%- do run_query("create table " ~ kept ~ " using parquet as select * from " ~ this ~ " where not coalesce(" ~ erased ~ ", false)") -%}
            {%- set side_table = true -%}
        {%- endif -%}
        {%- if side_table is not none -%}
            {%- do run_query("truncate table " ~ this) -%}
            {%- do run_query("insert into " ~ this ~ " select * from " ~ kept) -%}
            {%- do run_query("drop table " ~ kept) -%}
        {%- endif -%}
    {%- endif -%}
{%- endmacro %}

{#- The SHA-256 (hex) of an e-mail address as the erasure requests store it: lower-cased, trimmed. -#}
{% macro email_sha256(column) -%}
    {{ return(adapter.dispatch('email_sha256')(column)) }}
{%- endmacro %}

{% macro default__email_sha256(column) -%}
    sha2(lower(trim({{ column }})), 256)
{%- endmacro %}

{% macro duckdb__email_sha256(column) -%}
    sha256(lower(trim({{ column }})))
{%- endmacro %}
