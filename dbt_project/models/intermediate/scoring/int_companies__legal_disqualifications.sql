-- Companies that BODACC says cannot buy: a collective proceeding (sauvegarde, redressement, liquidation) or a
-- deregistration, whenever it was published. The latest such announcement is kept as the reason.
select
    siren,
    event_category as disqualifying_event,
    published_on as disqualifying_event_on,
    announcement_id as disqualifying_announcement_id
from (
    select
        *,
        row_number() over (partition by siren order by published_on desc, announcement_id) as recency
    from {{ ref('int_intent__bodacc_events') }}
    where is_disqualifying
) as events
where recency = 1
