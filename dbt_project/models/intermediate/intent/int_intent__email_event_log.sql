{{
    config(
        materialized=incremental_on_duckdb(),
        incremental_strategy='append',
        on_schema_change='fail',
        pre_hook="{{ prune_event_log('email') }}",
        post_hook="{{ drop_replaced_file_versions(ref('stg_intent__email_events')) }}"
    )
}}
-- depends_on: {{ ref('stg_crm__erasure_requests') }}
-- SendGrid events, one row per sg_event_id, within the retention window, kept incrementally: a daily run reads only
-- the files landed since the last one (macros/event_logs.sql).
{{ event_log_rows(ref('stg_intent__email_events'), 'sg_event_id',
                  ['sg_event_id', 'email', 'occurred_at', 'event', 'is_machine_open', 'url', 'category']) }}
