{{ config(meta={'dagster': {'ref': {'name': 'target_accounts'}}}) }}
-- The prospecting list never offers a unit INSEE hides ([ND], statutDiffusion P), a ceased one, or one already in the
-- CRM.
select t.siren
from {{ ref('target_accounts') }} as t
join {{ ref('int_companies') }} as c on c.siren = t.siren
where not c.is_diffusible
   or not c.is_active
   or t.siren in (select siren from {{ ref('int_crm__company_matches') }} where siren is not null)
