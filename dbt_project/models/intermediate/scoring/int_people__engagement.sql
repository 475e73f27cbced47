-- Engagement of each known person (by e-mail) at the as-of date: rules in macros/scoring_rules.sql
-- (person_engagement), shared with the backtest.
{{ person_engagement(ref('int_scoring__activities')) }}
