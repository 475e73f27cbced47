-- The CRM company each web domain belongs to, with its registry match: how reverse-IP web events (a company's
-- domain, no person) are tied to an account. A domain several CRM companies share goes to the first of them.
select c.domain, min(c.company_key) as company_key, min(m.siren) as siren
from {{ ref('int_crm__companies') }} as c
left join {{ ref('int_crm__company_matches') }} as m on m.company_key = c.company_key
where c.domain is not null
group by c.domain
