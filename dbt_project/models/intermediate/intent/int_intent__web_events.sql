-- Web events tied to people and companies. A visitor identified later (a form with an e-mail) gets its earlier
-- anonymous events too, through its visitor_id; company-level events are tied by domain (reverse IP).
with events as (
    select * from {{ ref('stg_intent__web_events') }}
),

visitor_emails as (  -- the address a visitor last identified with
    select visitor_id, email
    from (
        select visitor_id, email,
               row_number() over (partition by visitor_id order by occurred_at desc, event_id) as recency
        from events
        where email is not null and visitor_id is not null
    ) as identified
    where recency = 1
),

people_emails as (
    select distinct email from {{ ref('int_crm__people') }} where email is not null
),

company_domains as (
    select c.domain, min(c.company_key) as company_key, min(m.siren) as siren
    from {{ ref('int_crm__companies') }} as c
    left join {{ ref('int_crm__company_matches') }} as m on m.company_key = c.company_key
    where c.domain is not null
    group by c.domain
)

select
    e.event_id,
    e.occurred_at,
    e.visitor_id,
    coalesce(e.email, v.email) as email,
    e.email is null and v.email is not null as is_attributed_retroactively,
    coalesce(coalesce(e.email, v.email) in (select email from people_emails), false) as is_known_person,
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
left join visitor_emails as v on v.visitor_id = e.visitor_id
left join company_domains as d on d.domain = e.company_domain
