-- Every behaviour that counts for engagement at the as-of date, with its decayed points: the rules are in
-- macros/scoring_rules.sql (scored_activities), shared with the backtest.
{{ scored_activities() }}
