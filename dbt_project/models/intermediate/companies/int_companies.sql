{{
    config(
        materialized=incremental_on_duckdb(),
        unique_key='siren',
        incremental_strategy='delete+insert',
        on_schema_change='append_new_columns',
        post_hook="{{ drop_rows_of_an_earlier_registry(registry_landed_at()) }}"
    )
}}
{#- (append_new_columns: a table built before a column existed gets it, then is rebuilt whole.)
    Daily runs recompute only the units API Sirene updated since the stock (their own record or one of their
    establishments); a new stock or INPI file (raw._load_log) rebuilds every unit, and the post-hook drops the units
    the new stock no longer has. -#}
{%- set landed = registry_landed_at() -%}
{%- set only_updated = is_incremental() and not registry_changed_since_built(landed) -%}
-- One row per SIREN: the legal unit with its siège, labelled NAF, headcount band with its bounds, geography of the
-- siège, current revenue from INPI (unknown stays null), and whether it is active and diffusible. The registry side
-- of every fit score and of the net-new target list.
with
{%- if only_updated %}
updated_sirens as (
    select siren from {{ source('sirene', 'sirene_updates_unites_legales') }}
    union
    select substring(siret, 1, 9) from {{ source('sirene', 'sirene_updates_etablissements') }}
),
{%- endif %}

-- a daily run reads the updated units from the raw stock and updates, filtered before they are merged (the staging
-- view's SQL, macros/sirene_staging.sql): a filter on the view cannot pass the merge and would read the whole stock
unites as (
    {%- if only_updated %}
    {{ stg_sirene_unites_legales(only_sirens='select siren from updated_sirens') }}
    {%- else %}
    select * from {{ ref('stg_sirene__unites_legales') }}
    {%- endif %}
),

-- One pass over the establishments gives both the siège's location and the counts: a single aggregate of 42 M
-- rows instead of a join plus an aggregate, which is what keeps this model fast at national scale.
establishments as (
    select
        siren,
        count(*) as establishments_total,
        sum(case when is_active then 1 else 0 end) as establishments_active,
        max(case when is_siege then siret end) as siege_siret,
        max(case when is_siege then code_postal end) as code_postal,
        max(case when is_siege then code_commune end) as code_commune,
        max(case when is_siege then libelle_commune end) as libelle_commune,
        bool_or(is_siege and is_active) as siege_is_active
    {%- if only_updated %}
    from ({{ stg_sirene_etablissements(only_sirens='select siren from updated_sirens') }}) as updated_establishments
    {%- else %}
    from {{ ref('stg_sirene__etablissements') }}
    {%- endif %}
    group by siren
),

naf as (
    select * from {{ ref('naf_rev2_5_levels') }}
),

bands as (
    select * from {{ ref('tranches_effectifs') }}
),

legal_forms as (
    select code, libelle from {{ ref('categories_juridiques') }}
),

geo as (
    select * from {{ ref('int_geo__communes') }}
),

revenue as (
    select * from {{ ref('int_companies__latest_revenue') }}
)

select
    u.siren,
    u.siret_siege,
    case
        when u.categorie_juridique = '1000' then
            nullif(trim(coalesce(u.prenom_usuel, u.prenom_1, '') || ' ' || coalesce(u.nom_usage, u.nom, '')), '')
        else coalesce(u.denomination, u.denomination_usuelle_1)
    end as company_name,
    u.sigle,
    u.denomination_usuelle_1 as usual_name,
    u.categorie_juridique,
    lf.libelle as categorie_juridique_label,
    lf1.libelle as legal_form_family,
    u.categorie_juridique = '1000' as is_individual_entrepreneur,
    u.activite_principale as naf_code,
    u.nomenclature_activite_principale as naf_nomenclature,
    naf.libelle_sous_classe as naf_label,
    naf.code_division as naf_division_code,
    naf.libelle_division as naf_division_label,
    naf.code_section as naf_section_code,
    naf.libelle_section as naf_section_label,
    u.activite_principale_naf25 as naf25_code,
    u.tranche_effectifs as headcount_band,
    bands.libelle as headcount_band_label,
    bands.effectif_min as headcount_min,
    bands.effectif_max as headcount_max,
    u.annee_effectifs as headcount_year,
    u.categorie_entreprise,
    u.date_creation,
    u.etat_administratif,
    u.etat_administratif = 'A' as is_active,
    -- a ceased unit's current period starts on the day it ceased
    case when u.etat_administratif = 'C' then u.date_debut end as ceased_on,
    u.is_diffusible,
    u.is_economie_sociale_solidaire,
    s.code_postal,
    s.code_commune,
    s.libelle_commune,
    coalesce(geo.code_departement, {{ departement_of_commune('s.code_commune') }}) as departement,
    geo.nom_departement as departement_name,
    geo.code_region as region,
    geo.nom_region as region_name,
    s.siege_is_active,
    coalesce(s.establishments_total, 0) as establishments_total,
    coalesce(s.establishments_active, 0) as establishments_active,
    r.revenue_eur,
    r.revenue_fiscal_year,
    r.revenue_closing_date,
    coalesce(r.revenue_is_confidential, false) as revenue_is_confidential,
    u.date_dernier_traitement,
    -- when the stock and INPI files this row comes from were landed, and when the row was computed
    {{ landed }} as registry_landed_at,
    cast('{{ run_started_at.strftime("%Y-%m-%d %H:%M:%S") }}' as timestamp) as computed_at
from unites as u
left join establishments as s on s.siren = u.siren
-- older units may carry a code of an older nomenclature: only NAF rév. 2 codes get labels (an equality join, fast)
left join naf on naf.code_sous_classe = case when u.nomenclature_activite_principale = 'NAFRev2'
                                             then u.activite_principale end
left join bands on bands.code = u.tranche_effectifs
left join legal_forms as lf on lf.code = u.categorie_juridique
left join legal_forms as lf1 on lf1.code = substring(u.categorie_juridique, 1, 1)
left join geo on geo.code_commune = s.code_commune
left join revenue as r on r.siren = u.siren
