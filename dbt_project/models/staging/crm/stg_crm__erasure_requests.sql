select distinct lower(trim(email)) as email, requested_at
from {{ source('crm', 'crm_erasure_requests') }}
where email is not null
