-- Intent of each person with a scored signal of their own (a job change into a decision role), per as-of date.
select
    as_of_date,
    email,
    sum(points) as signal_points,
    max(case when fulfils_authority then 1 else 0 end) = 1 as took_decision_role
from {{ ref('int_signals__scored') }}
where subject_type = 'person'
group by as_of_date, email
