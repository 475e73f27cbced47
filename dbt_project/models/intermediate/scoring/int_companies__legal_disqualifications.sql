-- Companies that BODACC says cannot buy, per as-of date: a collective proceeding (sauvegarde, redressement,
-- liquidation) or a deregistration published on or before it, whenever. The latest such announcement is the reason.
with published_by_then as (
    select
        d.as_of_date,
        e.siren,
        e.event_category,
        e.published_on,
        e.announcement_id,
        row_number() over (partition by d.as_of_date, e.siren order by e.published_on desc, e.announcement_id)
            as recency
    from {{ ref('int_intent__bodacc_events') }} as e
    join {{ ref('int_scoring__as_of_dates') }} as d on e.published_on <= d.as_of_date
    where e.is_disqualifying
)

select
    as_of_date,
    siren,
    event_category as disqualifying_event,
    published_on as disqualifying_event_on,
    announcement_id as disqualifying_announcement_id
from published_by_then
where recency = 1
