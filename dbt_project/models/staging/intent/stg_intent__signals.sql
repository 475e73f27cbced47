-- One row per signal id, up to as-of.
with signals as (
    select *, row_number() over (partition by signal_id order by _source_file, _source_line) as occurrence
    from {{ source('intent', 'signals') }}
)

select
    signal_id,
    lower(signal_type) as signal_type,
    occurred_at,
    case when length(siren) = 9 then siren end as siren,
    company_name,
    company_domain,
    person_email,
    new_job_title,
    amount_eur,
    headcount_open_roles,
    source,
    source_url,
    _source_file as source_file
from signals
where occurrence = 1
  and occurred_at < {{ dbt.dateadd('day', 1, as_of_date()) }}
