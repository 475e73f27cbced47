-- CRM companies that no deterministic tier matched: the input of the probabilistic tier (Splink).
select
    c.company_key,
    c.company_name,
    c.company_name_normalized as name_normalized,
    substring(c.company_name_normalized, 1, 3) as name_prefix,
    c.postal_code,
    c.departement,
    cast(null as {{ dbt.type_string() }}) as naf_code
from {{ ref('int_crm__companies') }} as c
where c.company_key not in (select company_key from {{ ref('int_crm__company_matches_exact') }})
  and c.company_name_normalized is not null
  and c.company_name_normalized <> ''
