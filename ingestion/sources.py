"""The published files this pipeline lands, and how each maps to a raw table."""

from __future__ import annotations

import json
from pathlib import Path

from ingestion.landing import TableSpec

SCHEMA_FILE = Path(__file__).parent / "schemas" / "sirene_stock_schema.json"
SIRENE_SCHEMA = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))["files"]
SIRENE_RESOURCE_IDS = {
    stem: {"zip": spec["zip_resource_id"], "parquet": spec["parquet_resource_id"]}
    for stem, spec in SIRENE_SCHEMA.items()
}


# The columns the models need to identify, qualify and place a company: a stock without one of them is refused. Every
# other column of the schema is optional: stocks of earlier years lack those INSEE added since (societe à mission,
# the NAF 2025 columns, ...); they land empty and the load log lists them.
SIRENE_REQUIRED_COLUMNS = {
    "StockUniteLegale": {
        "siren", "statutDiffusionUniteLegale", "dateDebut", "etatAdministratifUniteLegale", "nomUniteLegale",
        "denominationUniteLegale", "categorieJuridiqueUniteLegale", "activitePrincipaleUniteLegale",
        "nomenclatureActivitePrincipaleUniteLegale", "trancheEffectifsUniteLegale", "nicSiegeUniteLegale",
        "dateDernierTraitementUniteLegale",
    },
    "StockEtablissement": {
        "siren", "nic", "siret", "statutDiffusionEtablissement", "etablissementSiege",
        "etatAdministratifEtablissement", "codePostalEtablissement", "codeCommuneEtablissement",
        "activitePrincipaleEtablissement", "dateDernierTraitementEtablissement",
    },
}


def _sirene_spec(stem: str, table: str, key: str, national_minimum_rows: int) -> TableSpec:
    columns = {name: ("TIMESTAMP" if t == "DATETIME" else t) for name, t in SIRENE_SCHEMA[stem]["columns"].items()}
    return TableSpec(table=table, columns=columns, required=frozenset(SIRENE_REQUIRED_COLUMNS[stem]), key=key,
                     delimiter=",", national_minimum_rows=national_minimum_rows)


# National minimums sit well under the real counts (about 29 M and 42 M): they catch a regional or cut file.
SIRENE_UNITES_LEGALES = _sirene_spec("StockUniteLegale", "sirene_unites_legales", "siren", 25_000_000)
SIRENE_ETABLISSEMENTS = _sirene_spec("StockEtablissement", "sirene_etablissements", "siret", 35_000_000)

_INPI_NUMERIC = [
    "chiffre_d_affaires", "marge_brute", "ebe", "ebit", "resultat_net", "taux_d_endettement", "ratio_de_liquidite",
    "ratio_de_vetuste", "autonomie_financiere", "poids_bfr_exploitation_sur_ca", "couverture_des_interets",
    "caf_sur_ca", "capacite_de_remboursement", "marge_ebe", "resultat_courant_avant_impots_sur_ca",
    "poids_bfr_exploitation_sur_ca_jours", "rotation_des_stocks_jours", "credit_clients_jours",
    "credit_fournisseurs_jours",
]
INPI_RATIOS = TableSpec(
    table="inpi_ratios",
    columns={"siren": "VARCHAR", "date_cloture_exercice": "DATE", **{c: "DOUBLE" for c in _INPI_NUMERIC},
             "type_bilan": "VARCHAR", "confidentiality": "VARCHAR"},
    required=frozenset({"siren", "date_cloture_exercice", "chiffre_d_affaires"}),
    key="siren",
    case_insensitive_header=True,
    delimiter=None,
)

# landing-zone folder, file stem, spec
SOURCES = {
    "sirene_unites_legales": ("sirene", "StockUniteLegale_utf8", SIRENE_UNITES_LEGALES),
    "sirene_etablissements": ("sirene", "StockEtablissement_utf8", SIRENE_ETABLISSEMENTS),
    "inpi_ratios": ("inpi", "ratios_inpi_bce", INPI_RATIOS),
}
