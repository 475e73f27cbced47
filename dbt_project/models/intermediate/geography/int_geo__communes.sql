-- One row per commune code (arrondissements of Paris, Lyon and Marseille included, as SIRENE codes them) with its
-- département and région. A code shared by a commune déléguée and its commune nouvelle keeps the current commune.
with communes as (
    select
        code_commune,
        nom as nom_commune,
        type as type_commune,
        departement as code_departement,
        codes_postaux,
        population,
        row_number() over (
            partition by code_commune
            order by case type when 'commune-actuelle' then 0 when 'arrondissement-municipal' then 1 else 2 end
        ) as preference
    from {{ ref('communes_cog2026') }}
)

select
    c.code_commune,
    c.nom_commune,
    c.type_commune,
    c.code_departement,
    d.nom_departement,
    d.code_region,
    d.nom_region,
    c.codes_postaux,
    c.population
from communes as c
left join {{ ref('departements_regions_cog2026') }} as d on d.code_departement = c.code_departement
where c.preference = 1
