-- The people who asked to be erased, as the SHA-256 of their address (lower-cased, trimmed): compare with
-- email_sha256(column). The warehouse never holds an erased address.
select distinct email_sha256, requested_at
from {{ source('crm', 'crm_erasure_requests') }}
where email_sha256 is not null
