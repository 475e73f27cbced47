-- The qualification of every lead at the as-of date: lead score, the four BANT flags, the status with what decided
-- it, and whether the person may be contacted. The rules are in macros/scoring_rules.sql (lead_qualification),
-- shared with the backtest; every threshold is a var of dbt_project.yml.
{{ lead_qualification(ref('int_leads__features')) }}
