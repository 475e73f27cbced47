{#- The SQL of the two SIRENE staging views, as macros so that int_companies can apply it to a few SIRENs only (the
    ones API Sirene updated): `only_sirens` (a query of SIRENs) filters the raw stock and updates before they are
    merged — a filter on the staging view cannot pass the merge's full join, and the views read the whole stock. -#}

{% macro stg_sirene_unites_legales(only_sirens=none) -%}
    with source as (
        {{ sirene_with_updates(source('sirene', 'sirene_unites_legales'), source('sirene', 'sirene_updates_unites_legales'),
                               'siren', 'dateDernierTraitementUniteLegale', only_sirens) }}
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
{%- endmacro %}

{% macro stg_sirene_etablissements(only_sirens=none) -%}
    with source as (
        {{ sirene_with_updates(source('sirene', 'sirene_etablissements'), source('sirene', 'sirene_updates_etablissements'),
                               'siret', 'dateDernierTraitementEtablissement', only_sirens) }}
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
{%- endmacro %}
