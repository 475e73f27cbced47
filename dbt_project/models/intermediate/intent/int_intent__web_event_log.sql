{{
    config(
        materialized=incremental_on_duckdb(),
        incremental_strategy='append',
        on_schema_change='fail',
        pre_hook="{{ prune_event_log('web') }}",
        post_hook="{{ drop_replaced_file_versions(ref('stg_intent__web_events')) }}"
    )
}}
-- depends_on: {{ ref('stg_crm__erasure_requests') }}
-- Web events, one row per event id (a collector's duplicate counts once), within the retention window, kept
-- incrementally: a daily run reads only the files landed since the last one (macros/event_logs.sql). A visitor
-- whose address is erased on request loses every event, anonymous ones included.
{{ event_log_rows(ref('stg_intent__web_events'), 'event_id',
                  ['event_id', 'occurred_at', 'visitor_id', 'email', 'company_domain', 'event_type', 'page_url',
                   'page_path', 'page_title', 'content_id', 'utm_source', 'utm_campaign']) }}
