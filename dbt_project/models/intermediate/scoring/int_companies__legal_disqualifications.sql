-- Companies that BODACC says cannot buy (collective proceeding or deregistration, whenever published), with the latest
-- such announcement as the reason: rules in macros/scoring_rules.sql (legal_disqualifications), shared with the
-- backtest.
{{ legal_disqualifications() }}
