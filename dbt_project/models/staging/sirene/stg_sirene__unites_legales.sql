-- One row per legal unit: SIRENE column names in snake_case, "[ND]" (hidden by INSEE) as null, codes as text.
with source as (
    {{ sirene_with_updates(source('sirene', 'sirene_unites_legales'), source('sirene', 'sirene_updates_unites_legales'),
                           'siren', 'dateDernierTraitementUniteLegale') }}
)

select
    siren,
    statutDiffusionUniteLegale as statut_diffusion,
    statutDiffusionUniteLegale = 'O' as is_diffusible,
    coalesce(unitePurgeeUniteLegale, false) as is_purged,
    dateCreationUniteLegale as date_creation,
    {{ hidden_to_null('sigleUniteLegale') }} as sigle,
    {{ hidden_to_null('sexeUniteLegale') }} as sexe,
    {{ hidden_to_null('prenom1UniteLegale') }} as prenom_1,
    {{ hidden_to_null('prenomUsuelUniteLegale') }} as prenom_usuel,
    {{ hidden_to_null('pseudonymeUniteLegale') }} as pseudonyme,
    {{ hidden_to_null('nomUniteLegale') }} as nom,
    {{ hidden_to_null('nomUsageUniteLegale') }} as nom_usage,
    {{ hidden_to_null('denominationUniteLegale') }} as denomination,
    {{ hidden_to_null('denominationUsuelle1UniteLegale') }} as denomination_usuelle_1,
    identifiantAssociationUniteLegale as identifiant_association,
    trancheEffectifsUniteLegale as tranche_effectifs,
    anneeEffectifsUniteLegale as annee_effectifs,
    categorieEntreprise as categorie_entreprise,
    anneeCategorieEntreprise as annee_categorie_entreprise,
    dateDebut as date_debut,
    etatAdministratifUniteLegale as etat_administratif,
    lpad(cast(categorieJuridiqueUniteLegale as {{ dbt.type_string() }}), 4, '0') as categorie_juridique,
    activitePrincipaleUniteLegale as activite_principale,
    nomenclatureActivitePrincipaleUniteLegale as nomenclature_activite_principale,
    activitePrincipaleNAF25UniteLegale as activite_principale_naf25,
    nicSiegeUniteLegale as nic_siege,
    siren || nicSiegeUniteLegale as siret_siege,
    economieSocialeSolidaireUniteLegale = 'O' as is_economie_sociale_solidaire,
    societeMissionUniteLegale = 'O' as is_societe_mission,
    caractereEmployeurUniteLegale as caractere_employeur,
    nombrePeriodesUniteLegale as nombre_periodes,
    dateDernierTraitementUniteLegale as date_dernier_traitement
from source
