{{ config(materialized=('table' if target.type == 'spark' else 'view')) }}
-- Web events up to the as-of date tied to people and companies: a visitor identified later (a form with an e-mail)
-- gets its earlier anonymous events too, through its visitor_id; company-level events are tied by domain (reverse
-- IP). A view over the event log: a new CRM export or a newly identified visitor changes the ties at once, without
-- rewriting 50 M events. On Spark a table: the Python steps beside Spark (the attribution check, the summary) read
-- dbt's relations as Parquet files, and a Spark view has none.
with events as (
    select * from {{ ref('int_intent__web_event_log') }}
    where occurred_at < {{ dbt.dateadd('day', 1, as_of_date()) }}
),

people_emails as (
    select distinct email from {{ ref('int_crm__people') }} where email is not null
)

select
    e.event_id,
    e.occurred_at,
    e.visitor_id,
    coalesce(e.email, v.email) as email,
    e.email is null and v.email is not null as is_attributed_retroactively,
    p.email is not null as is_known_person,
    e.company_domain,
    d.company_key as domain_company_key,
    d.siren as domain_siren,
    e.event_type,
    e.page_path,
    e.page_url,
    e.page_title,
    e.content_id,
    e.utm_source,
    e.utm_campaign
from events as e
left join {{ ref('int_intent__web_visitors') }} as v on v.visitor_id = e.visitor_id
left join people_emails as p on p.email = coalesce(e.email, v.email)
left join {{ ref('int_crm__company_domains') }} as d on d.domain = e.company_domain
