-- CRM companies left unmatched, with their best registry candidates, for an analyst to decide. A decision goes into
-- seeds/crm/crm_company_match_overrides.csv (crm_source, crm_company_id, siren) and wins on the next run.
with unmatched as (
    select m.company_key, m.match_confidence as best_probability
    from {{ ref('int_crm__company_matches') }} as m
    where m.match_method = 'unmatched'
)

select
    c.crm_source,
    c.crm_company_id,
    c.company_name,
    c.postal_code,
    c.domain,
    c.has_invalid_identifier,
    c.invalid_identifier_reason,
    k.candidate_rank,
    k.siren as candidate_siren,
    k.siret as candidate_siret,
    k.registry_name as candidate_name,
    k.registry_postal_code as candidate_postal_code,
    k.registry_is_active as candidate_is_active,
    k.match_probability as candidate_probability
from unmatched as u
join {{ ref('int_crm__companies') }} as c on c.company_key = u.company_key
left join {{ source('matching', 'crm_company_candidates') }} as k on k.company_key = u.company_key
