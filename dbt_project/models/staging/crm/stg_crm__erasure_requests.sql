-- The people who asked to be erased, as the SHA-256 of their address (lower-cased, trimmed): compare with
-- email_sha256(column). The warehouse never holds an erased address. is_pending: the warehouse file has not been
-- rewritten since the request (erasure/warehouse_file_rewritten sets erased_from_disk_at).
select distinct
    email_sha256,
    requested_at,
    erased_from_disk_at is null as is_pending
from {{ source('crm', 'crm_erasure_requests') }}
where email_sha256 is not null
