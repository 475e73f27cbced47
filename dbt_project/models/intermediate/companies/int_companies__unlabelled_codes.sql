{{ config(materialized='view') }}
-- The registry's codes that no reference seed labels, counted, so that none is silently blank: activity codes per
-- nomenclature (units ceased long ago carry NAFRev1, NAF1993 or NAPv2 codes; only NAF rév. 2 has its labels here)
-- and legal forms missing from the catégories juridiques list (codes INSEE retired). The test
-- assert_registry_codes_have_labels reports them; add the labels to the seeds in seeds/reference/ to clear it.
select
    'activite_principale' as code_kind,
    coalesce(c.naf_nomenclature, 'unknown') as nomenclature,
    coalesce(n.libelle, 'nomenclature not listed in seed nomenclature_activite_principale') as nomenclature_label,
    c.naf_code as code,
    count(*) as legal_units,
    sum(case when c.is_active then 1 else 0 end) as active_legal_units
from {{ ref('int_companies') }} as c
left join {{ ref('nomenclature_activite_principale') }} as n on n.code = c.naf_nomenclature
where c.naf_code is not null and c.naf_label is null
group by 1, 2, 3, 4

union all

select
    'categorie_juridique' as code_kind,
    'categories_juridiques' as nomenclature,
    'INSEE catégories juridiques (seed categories_juridiques)' as nomenclature_label,
    categorie_juridique as code,
    count(*) as legal_units,
    sum(case when is_active then 1 else 0 end) as active_legal_units
from {{ ref('int_companies') }}
where categorie_juridique is not null and categorie_juridique_label is null
group by 1, 2, 3, 4
