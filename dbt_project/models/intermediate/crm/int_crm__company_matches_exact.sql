-- The deterministic tiers of matching a CRM company to the registry, in order of trust: an analyst's decision
-- (seed crm_company_match_overrides), a SIRET found in the registry, a SIREN, a VAT number, then a web domain
-- learnt from companies already matched (used only when that domain points to one SIREN).
with companies as (
    select * from {{ ref('int_crm__companies') }}
),

registry as (
    select siren, is_active from {{ ref('int_companies') }}
),

establishments as (
    select siret, siren from {{ ref('stg_sirene__etablissements') }}
),

manual as (
    select crm_source || ':' || crm_company_id as company_key, siren, nullif(siret, '') as siret
    from {{ ref('crm_company_match_overrides') }}
),

by_identifier as (
    select c.company_key, r.siren, e.siret,
           case when e.siret is not null then 'siret' when c.identifier_kind = 'vat' then 'vat' else 'siren' end
               as match_method
    from companies as c
    join registry as r on r.siren = c.identifier_siren
    left join establishments as e on e.siret = c.valid_siret
),

first_pass as (
    select company_key, siren, siret, 'manual' as match_method from manual
    union all
    select b.company_key, b.siren, b.siret, b.match_method
    from by_identifier as b
    where b.company_key not in (select company_key from manual)
),

learnt_domains as (
    select c.domain, min(f.siren) as siren
    from first_pass as f
    join companies as c on c.company_key = f.company_key
    where c.domain is not null
    group by c.domain
    having count(distinct f.siren) = 1
),

by_domain as (
    select c.company_key, d.siren, cast(null as {{ dbt.type_string() }}) as siret, 'domain' as match_method
    from companies as c
    join learnt_domains as d on d.domain = c.domain
    where c.company_key not in (select company_key from first_pass)
)

select
    m.company_key,
    m.siren,
    m.siret,
    m.match_method,
    {{ match_confidence('m.match_method') }} as match_confidence
from (
    select company_key, siren, siret, match_method from first_pass
    union all
    select company_key, siren, siret, match_method from by_domain
) as m
