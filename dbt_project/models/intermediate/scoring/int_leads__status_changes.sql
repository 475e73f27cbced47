{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        full_refresh=false,
        pre_hook="{% if load_relation(this) is not none %}
                  delete from {{ this }}
                  where changed_on = {{ as_of_date() }}
                     or lead_id not in (select person_key from {{ ref('int_crm__people') }})
                  {% endif %}"
    )
}}
-- depends_on: {{ ref('int_crm__people') }}
-- The log of status changes, one row each time a lead's status differs from the last one recorded before the as-of
-- date (the first run records every lead). Runs are dated by LEADS_AS_OF, not by the clock, so a rerun of a day
-- replaces that day's rows (pre-hook) and a backfill of past days builds the history they would have had.
-- The pre-hook also forgets leads no longer in the CRM (deleted there, or erased on request).
-- full_refresh=false: `dbt build --full-refresh` must not erase the history, which cannot be rebuilt from inputs.
with current_status as (
    select
        lead_id,
        status,
        sql_source,
        lead_score,
        {{ as_of_date() }} as changed_on
    from {{ ref('int_leads__qualification') }}
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

select c.*
from current_status as c
left join last_recorded as r on r.lead_id = c.lead_id
where r.status is null or r.status <> c.status
{% else %}
select * from current_status
{% endif %}
