-- The predictive challenger against the rules, for BI and the report: for the latest training of each target (an
-- opportunity, a won deal), on the backtest's newest dates it was validated on, each scorer's (model, rules) AUC and
-- top-decile lift (the model's with the 90 % interval of its gain over the rules), lift by decile, and the model's
-- calibration by decile (predicted against observed); with the decision, in use or the rules kept, and why.
with latest_training as (
    select model_id, trained_at, as_of_date, target, status, reason_key, reason, leads, positives, training_rows,
           validation_dates
    from (
        select
            m.*,
            row_number() over (partition by target order by trained_at desc, model_id desc) as newest_first
        from {{ source('predictions', 'models') }} as m
    ) as ranked
    where newest_first = 1
)

select
    t.model_id,
    t.trained_at,
    t.as_of_date,
    t.target,
    t.status,
    t.reason_key,
    t.reason,
    t.leads,
    t.positives,
    t.training_rows,
    t.validation_dates,
    e.scorer,
    e.metric,
    e.bin,
    e.lead_dates,
    e.outcomes,
    e.predicted,
    e.observed,
    e.value,
    e.lower,
    e.upper
from latest_training as t
left join {{ source('predictions', 'model_evaluation') }} as e on e.model_id = t.model_id
