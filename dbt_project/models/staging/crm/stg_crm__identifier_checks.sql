-- SIREN, SIRET and VAT values as typed in the CRM, checked with python-stdnum at landing.
select raw_value, id_kind, normalized, is_valid, siren, siret, reason
from {{ source('crm', 'crm_identifier_checks') }}
