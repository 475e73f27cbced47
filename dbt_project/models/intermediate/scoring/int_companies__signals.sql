-- Intent of each company with scored signals at the as-of date: rules in macros/scoring_rules.sql
-- (company_intent), shared with the backtest.
{{ company_intent(ref('int_signals__scored')) }}
