-- One row per establishment: SIRENE column names in snake_case, "[ND]" (hidden by INSEE) as null. The second
-- address (rare, for establishments on a border) is left out: nothing downstream uses it.
with source as (
    {{ sirene_with_updates(source('sirene', 'sirene_etablissements'), source('sirene', 'sirene_updates_etablissements'),
                           'siret', 'dateDernierTraitementEtablissement') }}
)

select
    siret,
    siren,
    nic,
    statutDiffusionEtablissement as statut_diffusion,
    statutDiffusionEtablissement = 'O' as is_diffusible,
    coalesce(etablissementSiege, false) as is_siege,
    dateCreationEtablissement as date_creation,
    trancheEffectifsEtablissement as tranche_effectifs,
    anneeEffectifsEtablissement as annee_effectifs,
    etatAdministratifEtablissement as etat_administratif,
    etatAdministratifEtablissement = 'A' as is_active,
    dateDebut as date_debut,
    {{ hidden_to_null('complementAdresseEtablissement') }} as complement_adresse,
    {{ hidden_to_null('numeroVoieEtablissement') }} as numero_voie,
    {{ hidden_to_null('indiceRepetitionEtablissement') }} as indice_repetition,
    {{ hidden_to_null('typeVoieEtablissement') }} as type_voie,
    {{ hidden_to_null('libelleVoieEtablissement') }} as libelle_voie,
    codePostalEtablissement as code_postal,
    libelleCommuneEtablissement as libelle_commune,
    codeCommuneEtablissement as code_commune,
    codeCedexEtablissement as code_cedex,
    libelleCommuneEtrangerEtablissement as libelle_commune_etranger,
    codePaysEtrangerEtablissement as code_pays_etranger,
    libellePaysEtrangerEtablissement as libelle_pays_etranger,
    {{ dbt.safe_cast(hidden_to_null('coordonneeLambertAbscisseEtablissement'), api.Column.translate_type('float')) }}
        as lambert_x,
    {{ dbt.safe_cast(hidden_to_null('coordonneeLambertOrdonneeEtablissement'), api.Column.translate_type('float')) }}
        as lambert_y,
    {{ hidden_to_null('enseigne1Etablissement') }} as enseigne,
    {{ hidden_to_null('denominationUsuelleEtablissement') }} as denomination_usuelle,
    activitePrincipaleEtablissement as activite_principale,
    nomenclatureActivitePrincipaleEtablissement as nomenclature_activite_principale,
    activitePrincipaleNAF25Etablissement as activite_principale_naf25,
    caractereEmployeurEtablissement as caractere_employeur,
    dateDernierTraitementEtablissement as date_dernier_traitement
from source
