-- BODACC announcements classified for qualification: a collective proceeding or a deregistration disqualifies the
-- company; a capital increase or a new establishment is a growth signal.
select
    announcement_id,
    published_on,
    siren,
    company_name,
    famille_avis,
    case
        when famille_avis = 'collective' then 'collective_proceeding'
        when famille_avis = 'radiation' or has_radiation then 'deregistration'
        when lower(coalesce(modification_descriptif, '')) like '%capital%' then 'capital_increase'
        when famille_avis = 'creation' or lower(coalesce(acte_categorie, '')) like '%établissement%'
            then 'new_establishment'
        else 'other'
    end as event_category,
    famille_avis = 'collective' or famille_avis = 'radiation' or has_radiation as is_disqualifying,
    jugement_nature,
    modification_descriptif,
    acte_categorie
from {{ ref('stg_intent__bodacc') }}
where siren is not null
