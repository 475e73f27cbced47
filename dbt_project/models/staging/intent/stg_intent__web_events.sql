-- One row per web event id (a collector's duplicate counts once), within the retention window before as-of.
with events as (
    select
        *,
        row_number() over (partition by event_id order by _source_file, _source_line) as occurrence
    from {{ source('intent', 'web_events') }}
)

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
    _source_file as source_file
from events
where occurrence = 1
  and occurred_at >= {{ retention_start() }}
  and occurred_at < {{ dbt.dateadd('day', 1, as_of_date()) }}
