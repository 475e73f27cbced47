-- The points of each kind of activity at each age it can have in the scoring window (0 to scoring_window_days - 1
-- whole days before the as-of date): the weight of seeds/scoring/engagement_activity_weights halved every
-- engagement_half_life_days, and the words a salesperson reads. One row per (activity, age_days): the decay and the
-- wording are computed once per pair here, and int_scoring__activities takes each activity's points from it.
with ages as (
    {{ scoring_window_ages() }}
)

select
    w.activity,
    ages.age_days,
    w.is_buying_content,
    w.points as full_points,
    {{ decayed_points('w.points', 'ages.age_days', var('engagement_half_life_days')) }} as points,
    -- the words in the language of the run (reason_fr or reason_en); the pricing-burst wording names the settings
    replace(replace(w.reason_{{ language() }}, '{views}', '{{ var("pricing_burst_views") }}'), '{days}', '{{ var("pricing_burst_days") }}')
        as reason
from {{ ref('engagement_activity_weights') }} as w
cross join ages
