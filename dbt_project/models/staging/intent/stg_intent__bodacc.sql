-- One row per BODACC announcement, with the SIREN read from `registre` (a JSON list like ["552 100 554", ...]) or,
-- failing that, from the person's registration number.
{%- set registration_number -%}
    coalesce({{ json_text('registre', '$[0]') }},
             {{ json_text('listepersonnes', '$.personne.numeroImmatriculation.numeroIdentification') }}, registre)
{%- endset %}
with announcements as (
    select *, row_number() over (partition by id order by _source_file, _source_line) as occurrence
    from {{ source('intent', 'bodacc') }}
)

select
    id as announcement_id,
    dateparution as published_on,
    familleavis as famille_avis,
    familleavis_lib as famille_avis_label,
    typeavis as type_avis,
    nullif({{ replace_every_match(registration_number, "'[^0-9]'", "''") }}, '') as siren,
    commercant as company_name,
    cp as postal_code,
    ville as city,
    {{ json_text('jugement', '$.nature') }} as jugement_nature,
    {{ json_text('jugement', '$.famille') }} as jugement_famille,
    {{ json_text('acte', '$.categorieCreation') }} as acte_categorie,
    {{ json_text('modificationsgenerales', '$.descriptif') }} as modification_descriptif,
    radiationaurcs is not null as has_radiation,
    _source_file as source_file
from announcements
where occurrence = 1
  and dateparution <= {{ as_of_date() }}
