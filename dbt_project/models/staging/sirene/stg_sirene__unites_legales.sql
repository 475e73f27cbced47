-- One row per legal unit: SIRENE column names in snake_case, "[ND]" (hidden by INSEE) as null, codes as text.
-- The SQL is the macro stg_sirene_unites_legales (macros/sirene_staging.sql): int_companies applies it to the SIRENs API Sirene
-- updated, before the merge.
{{ stg_sirene_unites_legales() }}
