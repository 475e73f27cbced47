-- One row per establishment: SIRENE column names in snake_case, "[ND]" (hidden by INSEE) as null. The second
-- address (rare, for establishments on a border) is left out: nothing downstream uses it.
-- The SQL is the macro stg_sirene_etablissements (macros/sirene_staging.sql): int_companies applies it to the SIRENs API Sirene
-- updated, before the merge.
{{ stg_sirene_etablissements() }}
