-- Business signals that count for intent at the as-of date (latest of each kind per company or person, within its
-- window, decayed): rules in macros/scoring_rules.sql (scored_signals), shared with the backtest.
{{ scored_signals() }}
