-- Every distinct job title of the CRM and of job-change signals, and whether it names a decision role (BANT
-- Authority) by seeds/scoring/decision_role_patterns: a pattern matches and no exclusion pattern does.
with titles as (
    select job_title from {{ ref('int_crm__people') }} where job_title is not null
    union
    select new_job_title from {{ ref('int_intent__signals') }} where new_job_title is not null
),

normalized as (
    select job_title, {{ normalize_words('job_title') }} as title_words
    from titles
),

matches as (
    select
        t.job_title,
        min(case when not p.is_exclusion then p.role end) as decision_role,
        max(case when p.is_exclusion then 1 else 0 end) as is_excluded
    from normalized as t
    join {{ ref('decision_role_patterns') }} as p on {{ regex_matches('t.title_words', 'p.pattern') }}
    group by t.job_title
)

select
    t.job_title,
    t.title_words,
    coalesce(m.decision_role is not null and m.is_excluded = 0, false) as is_decision_role,
    case when m.is_excluded = 0 then m.decision_role end as decision_role
from normalized as t
left join matches as m on m.job_title = t.job_title
