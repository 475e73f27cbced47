{{
    config(
        materialized='incremental',
        incremental_strategy=('insert_overwrite' if target.type == 'spark' else 'append'),
        partition_by=(['changed_on'] if target.type == 'spark' else none),
        on_schema_change='append_new_columns',
        full_refresh=false,
        pre_hook=["{{ forget_erased_leads_in_status_log() }}"]
    )
}}
{#- (On Spark, which cannot delete from its Parquet tables, the day's rows replace that day's partition.) -#}
-- depends_on: {{ ref('int_crm__people') }}
-- depends_on: {{ ref('stg_crm__erasure_requests') }}
-- The log of status changes, one row each time a lead's status differs from the last one recorded before the as-of
-- date (the first run records every lead). Runs are dated by LEADS_AS_OF, not by the clock, so a rerun of a day
-- replaces that day's rows (pre-hook) and a backfill of past days builds the history they would have had.
-- History is never deleted by absence: a lead missing from one CRM snapshot keeps its rows (and gets new ones when it
-- comes back). Only an erasure request removes a lead's rows; the log keeps each lead's e-mail address for that.
-- full_refresh=false: `dbt build --full-refresh` must not erase the history, which cannot be rebuilt from inputs.
with current_status as (
    select
        lead_id,
        status,
        sql_source,
        lead_score,
        as_of_date as changed_on,
        email
    from {{ ref('int_leads__qualification') }}
    where as_of_date = {{ as_of_date() }}
)

{% if is_incremental() %}
, last_recorded as (
    select lead_id, status
    from (
        select
            lead_id,
            status,
            row_number() over (partition by lead_id order by changed_on desc) as recency
        from {{ this }}
        where changed_on < {{ as_of_date() }}
    ) as recorded
    where recency = 1
)

select c.lead_id, c.status, c.sql_source, c.lead_score, c.changed_on, c.email
from current_status as c
left join last_recorded as r on r.lead_id = c.lead_id
where r.status is null or r.status <> c.status
{% else %}
select lead_id, status, sql_source, lead_score, changed_on, email
from current_status
{% endif %}
