-- SendGrid events as landed, addresses lower-cased. Machine opens (Apple Mail Privacy Protection) are flagged: they
-- carry no engagement. Every landed row, with its file, SHA-256 and line: the event log
-- (int_intent__email_event_log) deduplicates and keeps the retention window.
select
    sg_event_id,
    lower(trim(email)) as email,
    occurred_at,
    event,
    coalesce(sg_machine_open, false) as is_machine_open,
    url,
    category,
    _source_file as source_file,
    _file_sha256 as file_sha256,
    _source_line as source_line
from {{ source('intent', 'email_events') }}
