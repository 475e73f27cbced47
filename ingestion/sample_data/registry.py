"""Generate the registry half of the landing zone: SIRENE stock files (all 35 and 54 columns) and the INPI ratios.

Everything runs as DuckDB SQL over `range()`, with randomness from `hash(row, salt, seed)`, so national scale takes
minutes and the same seed gives the same files. The generated tables stay in the generator's database
(`gen_unites_legales`, `gen_etablissements`, `gen_inpi`) so the CRM and intent generators can draw from them.
"""

from __future__ import annotations

import time
from pathlib import Path

import duckdb

from ingestion.sources import SIRENE_SCHEMA
from ingestion.warehouse import Log

NATIONAL_UNITES_LEGALES = 29_000_000
NATIONAL_ETABLISSEMENTS = 42_000_000


def luhn_check_digit_sql(payload: str, n_digits: int) -> str:
    """SQL for the Luhn check digit of a BIGINT payload of n_digits digits (unrolled: fast on 42 M rows)."""
    terms = []
    for k in range(n_digits):  # k = 0 is the rightmost payload digit, which Luhn doubles
        digit = f"(({payload} // {10 ** k}) % 10)"
        terms.append(f"(2 * {digit} - 9 * ({digit} >= 5)::int)" if k % 2 == 0 else digit)
    return f"((10 - ({' + '.join(terms)}) % 10) % 10)"


# Weights below are rough shares of the real stock, enough to make every branch of the models occur.
LEGAL_FORMS = [  # code, weight, kind
    (1000, 45.0, "individual"), (5710, 14.0, "company"), (5720, 4.0, "company"), (5499, 7.0, "company"),
    (5498, 4.0, "company"), (5599, 0.8, "company"), (5485, 0.7, "company"), (5202, 0.3, "company"),
    (5800, 0.02, "company"), (6540, 9.0, "civil"), (6599, 2.0, "civil"), (6533, 0.6, "civil"),
    (9220, 7.0, "association"), (9300, 0.1, "association"), (7210, 0.15, "public"), (7344, 0.01, "public"),
]
BANDS = {  # kind -> [(band, weight)]
    "individual": [("NN", 80), ("00", 7), ("01", 9), ("02", 3), ("03", 1)],
    "civil": [("NN", 90), ("00", 5), ("01", 4), ("02", 1)],
    "association": [("NN", 70), ("00", 5), ("01", 9), ("02", 6), ("03", 4), ("11", 3), ("12", 2), ("21", 1)],
    "public": [("01", 10), ("02", 15), ("03", 15), ("11", 20), ("12", 20), ("21", 10), ("22", 5), ("31", 2),
               ("32", 2), ("41", 1)],
    "company": [("NN", 34), ("00", 10), ("01", 18), ("02", 12), ("03", 8), ("11", 7), ("12", 5), ("21", 2.2),
                ("22", 1.5), ("31", 0.5), ("32", 0.6), ("41", 0.35), ("42", 0.18), ("51", 0.1), ("52", 0.04),
                ("53", 0.02)],
}
# Sub-classes much commoner than the rest (SCI, holdings, consulting, IT, retail, restaurants, building trades).
COMMON_NAF = {"68.20A": 40, "68.20B": 60, "70.10Z": 40, "70.22Z": 60, "62.01Z": 25, "62.02A": 15, "47.91B": 15,
              "56.10A": 25, "56.10C": 15, "43.21A": 20, "43.22A": 15, "43.99C": 20, "41.20A": 10, "86.21Z": 15,
              "96.02A": 20, "49.32Z": 15, "73.11Z": 10, "74.10Z": 15, "85.59A": 15, "90.01Z": 15, "01.11Z": 10,
              "46.90Z": 10, "71.12B": 15, "69.20Z": 10, "66.19B": 5, "58.29C": 5, "63.11Z": 5, "82.99Z": 15}

NAME_CORES = ["ALPHA", "NOVA", "ATLAS", "HORIZON", "AZUR", "LUMIERE", "OCEANE", "VERTIGO", "ARGOS", "BOREAL",
              "CALYPSO", "DELTA", "EQUINOXE", "FLORAL", "GALAXIE", "HELIOS", "IRIS", "JADE", "KAPPA", "LYNX",
              "MISTRAL", "NEPTUNE", "OPALE", "PRISME", "QUARTZ", "RIVAGE", "SEQUOIA", "TERRA", "ULTRA", "VEGA",
              "ZENITH", "ARDOISE", "BRUYERE", "CEDRE", "DUNE", "ETOILE", "FALAISE", "GRANIT", "HERMINE", "ISARD"]
# Invented brand names from three syllables (64 000 of them), so that, as in the real registry, most names are
# distinctive and homonyms exist without dominating.
SYLLABLES = ["AL", "BE", "CA", "DO", "EX", "FI", "GA", "HE", "IN", "JO", "KA", "LO", "MA", "NE", "OR", "PA", "QUI",
             "RO", "SA", "TE", "UL", "VA", "XO", "ZE", "TRI", "STRA", "NOV", "LUM", "VER", "MO", "DI", "AR", "ON",
             "IS", "ET", "UM", "AX", "YS", "IO", "EL"]
NAME_SECTORS = ["CONSEIL", "SOLUTIONS", "SERVICES", "INDUSTRIE", "TECHNOLOGIES", "DISTRIBUTION", "BATIMENT",
                "LOGISTIQUE", "INGENIERIE", "DIGITAL", "IMMOBILIER", "TRANSPORTS", "FINANCE", "SANTE", "ENERGIE",
                "MEDIA", "NEGOCE", "RENOVATION", "EXPERTISE", "SYSTEMES"]
SURNAMES = ["MARTIN", "BERNARD", "THOMAS", "PETIT", "ROBERT", "RICHARD", "DURAND", "DUBOIS", "MOREAU", "LAURENT",
            "SIMON", "MICHEL", "LEFEBVRE", "LEROY", "ROUX", "DAVID", "BERTRAND", "MOREL", "FOURNIER", "GIRARD",
            "BONNET", "DUPONT", "LAMBERT", "FONTAINE", "ROUSSEAU", "VINCENT", "MULLER", "LEFEVRE", "FAURE", "ANDRE",
            "MERCIER", "BLANC", "GUERIN", "BOYER", "GARNIER", "CHEVALIER", "FRANCOIS", "LEGRAND", "GAUTHIER",
            "GARCIA", "PERRIN", "ROBIN", "CLEMENT", "MORIN", "NICOLAS", "HENRY", "ROUSSEL", "MATHIEU", "GAUTIER",
            "MASSON", "NGUYEN", "BRUN", "LEMAIRE", "COLIN", "BARBIER", "MEUNIER", "HOARAU", "LE GALL", "N'DIAYE"]
FIRST_NAMES_F = ["MARIE", "NATHALIE", "ISABELLE", "SYLVIE", "CATHERINE", "SANDRINE", "CELINE", "JULIE", "CAMILLE",
                 "LEA", "CHLOE", "EMMA", "AURELIE", "SOPHIE", "HELENE", "AGNES", "MANON", "INES", "ZOE", "ELODIE"]
FIRST_NAMES_M = ["JEAN", "PIERRE", "MICHEL", "PHILIPPE", "NICOLAS", "LAURENT", "THOMAS", "JULIEN", "ANTOINE",
                 "FRANCOIS", "HUGO", "LUCAS", "LOUIS", "GABRIEL", "ARTHUR", "MATHIEU", "OLIVIER", "KARIM", "YANNICK",
                 "CEDRIC"]
STREET_TYPES = ["RUE", "RUE", "RUE", "AV", "BD", "CHE", "PL", "ALL", "IMP", "RTE", "QUAI", "CRS"]
STREET_NAMES = ["DE LA REPUBLIQUE", "VICTOR HUGO", "JEAN JAURES", "DU GENERAL DE GAULLE", "PASTEUR", "DE LA GARE",
                "DES ECOLES", "DU MOULIN", "DE L'EGLISE", "GAMBETTA", "DE PARIS", "DES LILAS", "DU CHATEAU",
                "JULES FERRY", "DE LA PAIX", "DU STADE", "DES PRES", "CARNOT", "DE VERDUN", "DE LA LIBERATION"]


def _sql_list(values: list[str]) -> str:
    return "[" + ", ".join("'" + v.replace("'", "''") + "'" for v in values) + "]"


def _brand(salt: str) -> str:
    """SQL for an invented brand name of three syllables for the current row `i`."""
    return " || ".join(_pick(SYLLABLES, f"{salt}{k}") for k in range(3))


def _pick(values: list[str], salt: str) -> str:
    """SQL picking one of `values` for the current row `i` with salt `salt`."""
    return f"{_sql_list(values)}[1 + (hash(i, '{salt}', $seed) % {len(values)})::int]"


def _cumulative_table(con: duckdb.DuckDBPyConnection, name: str, rows: list[tuple], columns: str,
                      partition: str | None = None) -> None:
    """A (key..., weight) table turned into slices starting at `lo` of [0, 1) (per `partition`), so an ASOF join
    on a uniform draw picks a key with probability proportional to its weight."""
    values = ", ".join("(" + ", ".join(f"'{v}'" if isinstance(v, str) else repr(v) for v in r) + ")" for r in rows)
    over = f"partition by {partition}" if partition else ""
    con.execute(
        f"""create or replace temp table {name} as
        select * exclude (w), (sum(w) over ({over} order by {columns} rows unbounded preceding) - w)
               / sum(w) over ({over}) as lo
        from (values {values}) t({columns}, w)"""
    )


def load_reference(con: duckdb.DuckDBPyConnection, reference_dir: Path) -> None:
    """Places weighted by population (Paris, Lyon, Marseille by arrondissement, as SIRENE codes them), NAF
    sub-classes with NAF 2025 counterparts, legal forms and headcount bands, each as [lo, hi) slices of [0, 1)."""
    ref = str(reference_dir)
    con.execute(
        f"""create or replace temp table places as
        with c as (
            select code_commune, nom, departement, split_part(codes_postaux, '|', 1) as code_postal,
                   greatest(coalesce(try_cast(population as bigint), 1), 1) as w
            from read_csv('{ref}/communes_cog2026.csv', all_varchar = true)
            where codes_postaux is not null
              and ((type = 'commune-actuelle' and code_commune not in ('75056', '13055', '69123'))
                   or type = 'arrondissement-municipal')
        )
        select code_commune, code_postal, departement,
               upper(strip_accents(regexp_replace(nom, ' (\\d+)(er|e) Arrondissement$', ' \\1'))) as libelle,
               (sum(w) over (order by code_commune rows unbounded preceding) - w) / sum(w) over () as lo
        from c"""
    )
    naf_rows = con.execute(
        f"select code_sous_classe from read_csv('{ref}/naf_rev2_5_levels.csv', all_varchar = true) order by 1"
    ).fetchall()
    _cumulative_table(con, "naf", [(code, float(COMMON_NAF.get(code, 1))) for (code,) in naf_rows], "naf")
    con.execute(
        f"""create or replace temp table naf25_map as
        with n25 as (select niv5, niv4, niv2 from read_csv('{ref}/naf_2025_5_levels.csv', all_varchar = true))
        select naf.naf,
               coalesce((select min(niv5) from n25 where niv4 = left(naf.naf, 5)),
                        (select min(niv5) from n25 where niv2 = left(naf.naf, 2))) as naf25
        from naf"""
    )
    _cumulative_table(con, "legal_forms", [(code, kind, w) for code, w, kind in LEGAL_FORMS], "cj,kind")
    _cumulative_table(con, "bands", [(kind, band, float(w)) for kind, rows in BANDS.items() for band, w in rows],
                      "kind,band", partition="kind")


def generate_unites_legales(con: duckdb.DuckDBPyConnection, n: int, seed: int) -> None:
    siren_base = "((i * 7654321 + 12345678) % 100000000)"  # a bijection on 8 digits: unique, spread SIRENs
    con.execute(
        f"""create or replace table gen_unites_legales as
        with draws as (
            select i,
                   hash(i, 'cj', $seed) / 18446744073709551616.0 as u_cj,
                   hash(i, 'band', $seed) / 18446744073709551616.0 as u_band,
                   hash(i, 'naf', $seed) / 18446744073709551616.0 as u_naf,
                   hash(i, 'place', $seed) / 18446744073709551616.0 as u_place,
                   hash(i, 'state', $seed) / 18446744073709551616.0 as u_state,
                   hash(i, 'diff', $seed) / 18446744073709551616.0 as u_diff,
                   hash(i, 'created', $seed) / 18446744073709551616.0 as u_created,
                   {siren_base} * 10 + {luhn_check_digit_sql(siren_base, 8)} as siren_num
            from range({n}) t(i)
        ),
        ul as (
            select d.*, lf.cj, lf.kind, p.code_commune, p.code_postal, p.libelle as libelle_commune, nf.naf,
                   m.naf25
            from draws d
            asof join legal_forms lf on d.u_cj >= lf.lo
            asof join places p on d.u_place >= p.lo
            asof join naf nf on d.u_naf >= nf.lo
            left join naf25_map m on m.naf = nf.naf
        ),
        ul2 as (
            select ul.*, b.band,
                   ul.u_state < (case when ul.kind = 'individual' then 0.45 else 0.28 end) as is_ceased,
                   ul.kind = 'individual' and ul.u_diff < 0.05 as is_protected,
                   date '1950-01-01' + cast(sqrt(ul.u_created) * 27600 as int) as created
            from ul asof join bands b on ul.kind = b.kind and ul.u_band >= b.lo
        )
        select
            lpad(siren_num::varchar, 9, '0') as siren,
            case when is_protected then 'P' else 'O' end as statutDiffusionUniteLegale,
            case when is_ceased and created < date '1990-01-01' and hash(i, 'purge', $seed) % 3 = 0
                 then true end as unitePurgeeUniteLegale,
            created as dateCreationUniteLegale,
            case when kind = 'company' and hash(i, 'sigle', $seed) % 12 = 0
                 then {_pick(NAME_CORES, 'sigle_core')}[1:3] end as sigleUniteLegale,
            case when kind = 'individual' then
                case when is_protected then '[ND]' when hash(i, 'sex', $seed) % 2 = 0 then 'F' else 'M' end
            end as sexeUniteLegale,
            case when kind = 'individual' then
                case when is_protected then '[ND]'
                     when hash(i, 'sex', $seed) % 2 = 0 then {_pick(FIRST_NAMES_F, 'fn')}
                     else {_pick(FIRST_NAMES_M, 'fn')} end
            end as prenom1UniteLegale,
            case when kind = 'individual' and hash(i, 'p2', $seed) % 3 = 0 then
                case when is_protected then '[ND]' else {_pick(FIRST_NAMES_M + FIRST_NAMES_F, 'fn2')} end
            end as prenom2UniteLegale,
            null::varchar as prenom3UniteLegale,
            null::varchar as prenom4UniteLegale,
            case when kind = 'individual' then
                case when is_protected then '[ND]'
                     when hash(i, 'sex', $seed) % 2 = 0 then {_pick(FIRST_NAMES_F, 'fn')}
                     else {_pick(FIRST_NAMES_M, 'fn')} end
            end as prenomUsuelUniteLegale,
            case when kind = 'individual' and hash(i, 'pseudo', $seed) % 200 = 0 then
                case when is_protected then '[ND]' else {_pick(NAME_CORES, 'pseudo_core')} end
            end as pseudonymeUniteLegale,
            case when kind = 'association'
                 then 'W' || lpad((hash(i, 'rna', $seed) % 1000000000)::varchar, 9, '0') end
                as identifiantAssociationUniteLegale,
            band as trancheEffectifsUniteLegale,
            case when band <> 'NN' then 2023 end as anneeEffectifsUniteLegale,
            timestamp '2015-01-01' + to_seconds((hash(i, 'ddt', $seed) % 372000000)::bigint)
                as dateDernierTraitementUniteLegale,
            1 + (hash(i, 'periods', $seed) % 5)::bigint as nombrePeriodesUniteLegale,
            case when is_ceased then null
                 when band in ('51', '52', '53') then 'GE'
                 when band in ('32', '41', '42') then 'ETI'
                 else 'PME' end as categorieEntreprise,
            case when not is_ceased then 2023 end as anneeCategorieEntreprise,
            greatest(created, date '2008-01-01' + cast(hash(i, 'debut', $seed) % 6500 as int)) as dateDebut,
            case when is_ceased then 'C' else 'A' end as etatAdministratifUniteLegale,
            case when kind = 'individual' then
                case when is_protected then '[ND]' else {_pick(SURNAMES, 'surname')} end
            end as nomUniteLegale,
            case when kind = 'individual' and hash(i, 'usage', $seed) % 10 = 0 then
                case when is_protected then '[ND]' else {_pick(SURNAMES, 'usage_name')} end
            end as nomUsageUniteLegale,
            case when kind = 'civil' then 'SCI ' || {_brand('core')}
                 when kind = 'association' then 'ASSOCIATION ' || {_pick(NAME_CORES, 'core')} || ' '
                      || upper(strip_accents(libelle_commune))
                 when kind = 'public' then 'COMMUNE DE ' || libelle_commune
                 when kind = 'company' then
                    case hash(i, 'name_shape', $seed) % 6
                        when 0 then {_brand('core')} || ' ' || {_pick(NAME_SECTORS, 'sector')}
                        when 1 then {_pick(NAME_SECTORS, 'sector')} || ' ' || {_pick(SURNAMES, 'surname')}
                        when 2 then {_pick(NAME_CORES, 'core')} || ' ' || {_brand('core2')}
                        when 3 then {_brand('core')}
                        when 4 then {_brand('core')} || ' ' || {_pick(NAME_CORES, 'core2')}
                        else 'ETABLISSEMENTS ' || {_pick(SURNAMES, 'surname')}
                    end
            end as denominationUniteLegale,
            case when kind = 'company' and hash(i, 'usual', $seed) % 8 = 0
                 then {_pick(NAME_CORES, 'usual_core')} end as denominationUsuelle1UniteLegale,
            null::varchar as denominationUsuelle2UniteLegale,
            null::varchar as denominationUsuelle3UniteLegale,
            cj::bigint as categorieJuridiqueUniteLegale,
            naf as activitePrincipaleUniteLegale,
            'NAFRev2' as nomenclatureActivitePrincipaleUniteLegale,
            '0001' || ({luhn_check_digit_sql("(siren_num * 10000 + 1)", 13)})::varchar as nicSiegeUniteLegale,
            case when kind = 'association' then 'O' else 'N' end as economieSocialeSolidaireUniteLegale,
            case when kind = 'company' and hash(i, 'mission', $seed) % 500 = 0 then 'O'
                 when kind = 'company' then 'N' end as societeMissionUniteLegale,
            case when band in ('NN', '00') or is_ceased then 'N' else 'O' end as caractereEmployeurUniteLegale,
            naf25 as activitePrincipaleNAF25UniteLegale,
            -- generator-only columns, dropped on export
            i as _i, kind as _kind, code_commune as _code_commune, code_postal as _code_postal,
            libelle_commune as _libelle_commune, siren_num as _siren_num
        from ul2""",
        {"seed": seed},
    )


def generate_etablissements(con: duckdb.DuckDBPyConnection, n_units: int, n_etab: int, seed: int) -> None:
    """The first n_units establishments are the sièges; the others belong to units drawn with a skew, so a few
    groups have many sites, as in the real stock."""
    con.execute(
        f"""create or replace table gen_etablissements as
        with e as (
            select i,
                   case when i < {n_units} then i
                        else least({n_units} - 1, floor({n_units} * pow(hash(i, 'owner', $seed)
                             / 18446744073709551616.0, 2)))::bigint end as ul_i,
                   i < {n_units} as is_siege,
                   hash(i, 'eplace', $seed) / 18446744073709551616.0 as u_place
            from range({n_etab}) t(i)
        ),
        numbered as (
            select e.*,
                   case when is_siege then 1
                        else 1 + row_number() over (partition by ul_i order by i) end as nic4
            from e
        ),
        joined as (
            select n.*, u.siren, u._siren_num, u.statutDiffusionUniteLegale = 'P' as is_protected,
                   u.etatAdministratifUniteLegale = 'C' as ul_ceased, u.dateCreationUniteLegale as ul_created,
                   u.trancheEffectifsUniteLegale as ul_band, u.activitePrincipaleUniteLegale as naf,
                   u.activitePrincipaleNAF25UniteLegale as naf25, u._kind, u.denominationUsuelle1UniteLegale,
                   coalesce(case when n.is_siege then u._code_commune end, p.code_commune) as code_commune,
                   coalesce(case when n.is_siege then u._code_postal end, p.code_postal) as code_postal,
                   coalesce(case when n.is_siege then u._libelle_commune end, p.libelle) as libelle_commune,
                   _siren_num * 10000 + nic4 as nic_payload
            from numbered n
            join gen_unites_legales u on u._i = n.ul_i
            asof join places p on n.u_place >= p.lo
        )
        select
            siren,
            lpad(nic4::varchar, 4, '0') || {luhn_check_digit_sql('nic_payload', 13)}::varchar as nic,
            siren || lpad(nic4::varchar, 4, '0') || {luhn_check_digit_sql('nic_payload', 13)}::varchar as siret,
            case when is_protected then 'P' else 'O' end as statutDiffusionEtablissement,
            ul_created + cast(case when is_siege then 0 else hash(i, 'ecreated', $seed) % 5000 end as int)
                as dateCreationEtablissement,
            case when is_siege then ul_band
                 when ul_band in ('NN', '00') then ul_band
                 else ['NN', '00', '01', '02', '03', '11'][1 + (hash(i, 'eband', $seed) % 6)::int] end
                as trancheEffectifsEtablissement,
            case when ul_band <> 'NN' then 2023 end as anneeEffectifsEtablissement,
            case when _kind = 'individual' and hash(i, 'rm', $seed) % 10 = 0
                 then left(naf, 2) || '.' || substr(naf, 4, 2) || 'ZZ' end
                as activitePrincipaleRegistreMetiersEtablissement,
            timestamp '2015-01-01' + to_seconds((hash(i, 'eddt', $seed) % 372000000)::bigint)
                as dateDernierTraitementEtablissement,
            is_siege as etablissementSiege,
            1 + (hash(i, 'eperiods', $seed) % 4)::bigint as nombrePeriodesEtablissement,
            case when is_protected then '[ND]' when hash(i, 'compl', $seed) % 9 = 0 then 'BATIMENT '
                 || chr(65 + (hash(i, 'bat', $seed) % 6)::int) end as complementAdresseEtablissement,
            case when is_protected then '[ND]' else (1 + hash(i, 'num', $seed) % 180)::varchar end
                as numeroVoieEtablissement,
            case when is_protected then '[ND]' when hash(i, 'bis', $seed) % 25 = 0 then 'B' end
                as indiceRepetitionEtablissement,
            null::varchar as dernierNumeroVoieEtablissement,
            null::varchar as indiceRepetitionDernierNumeroVoieEtablissement,
            case when is_protected then '[ND]' else {_pick(STREET_TYPES, 'stype')} end as typeVoieEtablissement,
            case when is_protected then '[ND]' else {_pick(STREET_NAMES, 'sname')} end as libelleVoieEtablissement,
            code_postal as codePostalEtablissement,
            libelle_commune as libelleCommuneEtablissement,
            null::varchar as libelleCommuneEtrangerEtablissement,
            null::varchar as distributionSpecialeEtablissement,
            code_commune as codeCommuneEtablissement,
            null::varchar as codeCedexEtablissement,
            null::varchar as libelleCedexEtablissement,
            null::varchar as codePaysEtrangerEtablissement,
            null::varchar as libellePaysEtrangerEtablissement,
            case when is_protected then '[ND]'
                 else code_commune || '_' || lpad((hash(i, 'ban', $seed) % 10000)::varchar, 4, '0') end
                as identifiantAdresseEtablissement,
            case when is_protected then '[ND]' else (100000 + hash(i, 'lx', $seed) % 1100000)::varchar || '.0' end
                as coordonneeLambertAbscisseEtablissement,
            case when is_protected then '[ND]' else (6000000 + hash(i, 'ly', $seed) % 1100000)::varchar || '.0' end
                as coordonneeLambertOrdonneeEtablissement,
            null::varchar as complementAdresse2Etablissement,
            null::varchar as numeroVoie2Etablissement,
            null::varchar as indiceRepetition2Etablissement,
            null::varchar as typeVoie2Etablissement,
            null::varchar as libelleVoie2Etablissement,
            null::varchar as codePostal2Etablissement,
            null::varchar as libelleCommune2Etablissement,
            null::varchar as libelleCommuneEtranger2Etablissement,
            null::varchar as distributionSpeciale2Etablissement,
            null::varchar as codeCommune2Etablissement,
            null::varchar as codeCedex2Etablissement,
            null::varchar as libelleCedex2Etablissement,
            null::varchar as codePaysEtranger2Etablissement,
            null::varchar as libellePaysEtranger2Etablissement,
            greatest(ul_created, date '2008-01-01' + cast(hash(i, 'edebut', $seed) % 6500 as int)) as dateDebut,
            case when ul_ceased or (not is_siege and hash(i, 'closed', $seed) % 4 = 0) then 'F' else 'A' end
                as etatAdministratifEtablissement,
            case when is_protected then '[ND]' when hash(i, 'ens', $seed) % 7 = 0
                 then {_pick(NAME_CORES, 'ens')} end as enseigne1Etablissement,
            null::varchar as enseigne2Etablissement,
            null::varchar as enseigne3Etablissement,
            case when is_protected then '[ND]' when is_siege then denominationUsuelle1UniteLegale end
                as denominationUsuelleEtablissement,
            naf as activitePrincipaleEtablissement,
            'NAFRev2' as nomenclatureActivitePrincipaleEtablissement,
            case when ul_band in ('NN', '00') or ul_ceased then 'N' else 'O' end as caractereEmployeurEtablissement,
            naf25 as activitePrincipaleNAF25Etablissement
        from joined""",
        {"seed": seed},
    )


def generate_inpi(con: duckdb.DuckDBPyConnection, seed: int) -> None:
    """Filed accounts for about 40 % of commercial companies, one to four years each, a quarter confidential
    (revenue then unknown, not zero). Revenue follows headcount, with log-normal noise."""
    con.execute(
        """create or replace table gen_inpi as
        with filers as (
            select u.siren, u._i as i, coalesce(t.mid, 1) as headcount
            from gen_unites_legales u
            left join (values ('NN', 0.5), ('00', 0.5), ('01', 1.5), ('02', 4), ('03', 7.5), ('11', 14),
                              ('12', 33), ('21', 72), ('22', 145), ('31', 225), ('32', 360), ('41', 720),
                              ('42', 1400), ('51', 3200), ('52', 7000), ('53', 15000)) t(band, mid)
                   on t.band = u.trancheEffectifsUniteLegale
            where u._kind = 'company' and hash(u._i, 'files', $seed) % 10 < 4
        ),
        years as (
            select f.*, y as year_index from filers f,
                   range(1 + (hash(f.i, 'nyears', $seed) % 4)::int) r(y)
        ),
        drawn as (
            select *,
                   sqrt(-2 * ln(greatest(hash(i, year_index, 'n1', $seed) / 18446744073709551616.0, 1e-12)))
                   * cos(2 * pi() * hash(i, year_index, 'n2', $seed) / 18446744073709551616.0) as z,
                   hash(i, year_index, 'conf', $seed) % 4 = 0 as confidential,
                   hash(i, 'fy', $seed) % 5 = 0 as june_close
            from years
        )
        select siren,
               make_date(2024 - year_index - (june_close)::int, case when june_close then 6 else 12 end,
                         case when june_close then 30 else 31 end) as date_cloture_exercice,
               case when not confidential then round(headcount * 140000 * exp(0.7 * z)) end as chiffre_d_affaires,
               case when not confidential then round(headcount * 60000 * exp(0.5 * z)) end as marge_brute,
               case when not confidential then round(headcount * 15000 * z) end as ebe,
               case when not confidential then round(headcount * 11000 * z) end as ebit,
               case when not confidential then round(headcount * 8000 * z) end as resultat_net,
               round(abs(40 + 30 * z), 2) as taux_d_endettement,
               round(abs(1.2 + 0.4 * z), 2) as ratio_de_liquidite,
               round(abs(55 + 15 * z), 2) as ratio_de_vetuste,
               round(abs(35 + 12 * z), 2) as autonomie_financiere,
               round(10 + 5 * z, 2) as poids_bfr_exploitation_sur_ca,
               round(abs(8 + 4 * z), 2) as couverture_des_interets,
               round(6 + 3 * z, 2) as caf_sur_ca,
               round(abs(2 + z), 2) as capacite_de_remboursement,
               round(9 + 4 * z, 2) as marge_ebe,
               round(5 + 3 * z, 2) as resultat_courant_avant_impots_sur_ca,
               round(36 + 18 * z, 2) as poids_bfr_exploitation_sur_ca_jours,
               round(abs(30 + 15 * z), 2) as rotation_des_stocks_jours,
               round(abs(45 + 15 * z), 2) as credit_clients_jours,
               round(abs(50 + 15 * z), 2) as credit_fournisseurs_jours,
               case when hash(i, 'bilan', $seed) % 3 = 0 then 'S' else 'C' end as type_bilan,
               case when confidential then 'Confidentiel' else 'Public' end as confidentiality
        from drawn""",
        {"seed": seed},
    )


def _columns(stem: str) -> list[str]:
    return list(SIRENE_SCHEMA[stem]["columns"])


def write_sirene(con: duckdb.DuckDBPyConnection, out_dir: Path, fmt: str, log: Log) -> list[Path]:
    """Write both stock files in the published format: zip of a CSV, plain CSV, or parquet."""
    from ingestion.sample_data.files import write_csv_table, zip_file

    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    # Ordered by identifier, as INSEE publishes them (and so the same seed writes the same bytes).
    for stem, table, key in (("StockUniteLegale", "gen_unites_legales", "siren"),
                             ("StockEtablissement", "gen_etablissements", "siret")):
        cols = ", ".join(f'"{c}"' for c in _columns(stem))
        base = out_dir / f"{stem}_utf8"
        for old in out_dir.glob(f"{stem}_utf8.*"):
            old.unlink()
        started = time.monotonic()
        if fmt == "parquet":  # with the published column types, as data.gouv.fr builds the parquet files
            target = base.with_suffix(".parquet")
            typed = ", ".join(f'cast("{c}" as {"TIMESTAMP" if t == "DATETIME" else t}) as "{c}"'
                              for c, t in SIRENE_SCHEMA[stem]["columns"].items())
            con.execute(f"copy (select {typed} from {table} order by {key}) to '{target}' (format parquet, "
                        f"compression zstd, row_group_size 122880)")
        else:
            csv_path = base.with_suffix(".csv")
            write_csv_table(con, f"select {cols} from {table} order by {key}", csv_path, delimiter=",",
                            timestamp_format="%Y-%m-%dT%H:%M:%S.000")
            target = csv_path
            if fmt == "zip":
                target = zip_file(csv_path, base.with_suffix(".zip"), log)
                csv_path.unlink()
        log(f"wrote {target} ({target.stat().st_size / 1e6:,.1f} MB) in {time.monotonic() - started:.1f} s")
        written.append(target)
    return written


def write_inpi(con: duckdb.DuckDBPyConnection, out_dir: Path, log: Log) -> Path:
    """`;`-separated with a UTF-8 BOM, as the open INPI/BCE ratios file is published."""
    from ingestion.sample_data.files import write_csv_table

    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / "ratios_inpi_bce.csv"
    write_csv_table(con, "select * from gen_inpi order by siren, date_cloture_exercice", target, delimiter=";",
                    bom=True)
    log(f"wrote {target} ({target.stat().st_size / 1e6:,.1f} MB)")
    return target
