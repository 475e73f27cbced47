-- Registry establishments a CRM company can be matched to by name and place: every open establishment, and the
-- siège of every unit (ceased units too, so a ceased customer can be disqualified). Protected units (names hidden
-- by INSEE) are left out: they cannot be matched by name and are never to be re-identified.
with companies as (  -- names normalised once per unit, not once per establishment
    select siren, company_name, {{ normalize_company_name('company_name') }} as name_normalized, naf_code, is_active
    from {{ ref('int_companies') }}
    where is_diffusible and company_name is not null
),

establishments as (
    select siret, siren, code_postal, code_commune, is_active, is_siege
    from {{ ref('stg_sirene__etablissements') }}
    where is_active or is_siege
),

named as (
    select
        e.siret,
        e.siren,
        c.name_normalized,
        e.code_postal as postal_code,
        {{ departement_of_commune('e.code_commune') }} as departement,
        c.naf_code,
        c.is_active and e.is_active as is_active,
        c.company_name
    from establishments as e
    join companies as c on c.siren = e.siren
)

select
    siret,
    siren,
    name_normalized,
    substring(name_normalized, 1, 3) as name_prefix,
    postal_code,
    departement,
    naf_code,
    is_active,
    company_name
from named
