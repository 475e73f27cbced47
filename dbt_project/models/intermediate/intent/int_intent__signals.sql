-- Business signals with the SIREN they concern: as given, else through the CRM company owning the domain.
with signals as (
    select * from {{ ref('stg_intent__signals') }}
),

company_domains as (
    select c.domain, min(m.siren) as siren
    from {{ ref('int_crm__companies') }} as c
    join {{ ref('int_crm__company_matches') }} as m on m.company_key = c.company_key
    where c.domain is not null and m.siren is not null
    group by c.domain
    having count(distinct m.siren) = 1
)

select
    s.signal_id,
    s.signal_type,
    s.occurred_at,
    coalesce(s.siren, d.siren) as siren,
    case when s.siren is not null then 'given' when d.siren is not null then 'domain' end as siren_source,
    s.company_name,
    s.company_domain,
    s.person_email,
    s.new_job_title,
    s.amount_eur,
    s.headcount_open_roles,
    s.source,
    s.source_url
from signals as s
left join company_domains as d on d.domain = s.company_domain
