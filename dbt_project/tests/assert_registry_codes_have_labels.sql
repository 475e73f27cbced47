{{ config(severity='warn') }}
-- Every activity code and legal form of the registry has a label; those that do not are listed, with how many units
-- carry them (a warning: older nomenclatures have no labels in this project, and fit never scores them).
select code_kind, nomenclature, code, legal_units, active_legal_units
from {{ ref('int_companies__unlabelled_codes') }}
