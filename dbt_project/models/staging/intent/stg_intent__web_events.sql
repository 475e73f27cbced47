-- Web events as landed, cleaned: empty strings are nulls, the page path is taken from the URL. Every landed row, with
-- the file, its SHA-256 and the line it came from: the event log (int_intent__web_event_log) deduplicates and keeps
-- the retention window.
select
    event_id,
    occurred_at,
    visitor_id,
    nullif(email, '') as email,
    nullif(company_domain, '') as company_domain,
    event_type,
    page_url,
    coalesce(nullif(regexp_extract(page_url, '^(?:https?://[^/]+)?(/[^?#]*)', 1), ''), '/') as page_path,
    page_title,
    content_id,
    utm_source,
    utm_campaign,
    _source_file as source_file,
    _file_sha256 as file_sha256,
    _source_line as source_line
from {{ source('intent', 'web_events') }}
