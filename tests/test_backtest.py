"""The backtest on the generated data, whose buying episodes are followed by deals more often when the company fits
(the planted truth): it finds that truth, a scoring config that knows nothing finds none, its tables agree with an
independent recomputation, it replays exactly the daily rules, and the report a sales manager opens is written."""

from __future__ import annotations

import base64
import datetime as dt
import json

import duckdb
import pytest

from conftest import AS_OF, run_dbt


def test_the_backtest_replays_26_weekly_dates_whose_outcome_windows_are_complete(read_warehouse):
    dates = [d for (d,) in read_warehouse.execute(
        "select as_of_date from intermediate.int_backtest__as_of_dates order by 1").fetchall()]
    assert len(dates) == 26
    assert all((b - a).days == 7 for a, b in zip(dates, dates[1:]))
    assert dates[-1] == AS_OF - dt.timedelta(days=90), "the last outcome window ends on the as-of date"


def test_the_backtest_finds_the_planted_truth(read_warehouse):
    lift = read_warehouse.execute(
        "select decile, lift, random_lift from marts.backtest_lift order by decile").df().set_index("decile")
    assert lift.loc[10, "lift"] >= 2.0, "top-decile leads get an opportunity at least twice as often as average"
    assert lift.loc[10, "lift"] > lift.loc[1:5, "lift"].max()
    # the yardstick: a random order of the same leads finds no lift anywhere
    assert lift["random_lift"].between(0.6, 1.4).all()
    summary = read_warehouse.execute("select * from marts.backtest_summary").df().iloc[0]
    assert summary["sql_precision"] > 3 * summary["conversion_rate"], "an SQL converts far more often than a lead"
    assert summary["won_accounts"] > 0 and summary["won_flagged_before_sales_share"] > 0
    assert summary["median_days_flagged_earlier"] > 0


def test_a_scoring_config_that_knows_nothing_finds_no_lift(warehouse_copy, tmp_path):
    # every weight of the lead score set to 0: all leads tie, the deciles become an arbitrary order
    run_dbt(["run", "--select", "int_leads__qualification", "int_backtest__lead_scores+", "--vars",
             json.dumps({"lead_score_weights": {"fit": 0, "engagement": 0, "intent": 0}})],
            warehouse_copy, tmp_path / "target")
    with duckdb.connect(str(warehouse_copy), read_only=True) as con:
        lifts = [lift for (lift,) in con.execute("select lift from marts.backtest_lift").fetchall()]
    assert all(0.6 <= lift <= 1.4 for lift in lifts), lifts


def test_backtest_marts_agree_with_an_independent_recomputation(read_warehouse):
    scores = read_warehouse.execute("""
        select as_of_date, lead_id, lead_score, status, converted, won, score_decile
        from intermediate.int_backtest__lead_scores""").df()
    # deciles: ten groups of (nearly) equal size per date, never a lower score in a higher decile
    sizes = scores.groupby(["as_of_date", "score_decile"]).size().groupby("as_of_date")
    assert (sizes.max() - sizes.min()).max() <= 1
    by_decile = scores.groupby(["as_of_date", "score_decile"])["lead_score"].agg(["min", "max"]).reset_index()
    for _, group in by_decile.groupby("as_of_date"):
        group = group.sort_values("score_decile")
        assert (group["min"].iloc[1:].values >= group["max"].iloc[:-1].values).all()

    overall = scores["converted"].mean()
    lift = read_warehouse.execute("select decile, lift from marts.backtest_lift").df().set_index("decile")["lift"]
    expected = scores.groupby("score_decile")["converted"].mean() / overall
    assert (expected.round(2) - lift.sort_index()).abs().max() < 0.011

    accuracy = read_warehouse.execute(
        "select flagged_as, outcome, precision, recall from marts.backtest_status_accuracy").df()
    flags = {"mql_or_sql": scores["status"].isin(["mql", "sql"]), "sql": scores["status"] == "sql"}
    for row in accuracy.itertuples():
        flagged, happened = flags[row.flagged_as], scores["converted" if row.outcome == "opportunity" else "won"]
        if flagged.sum():
            assert row.precision == pytest.approx((flagged & happened).sum() / flagged.sum(), abs=1e-4)
        if happened.sum():
            assert row.recall == pytest.approx((flagged & happened).sum() / happened.sum(), abs=1e-4)


def test_the_backtest_scores_a_date_exactly_as_the_daily_run_of_that_date_would(warehouse_copy, tmp_path):
    with duckdb.connect(str(warehouse_copy), read_only=True) as con:
        first_date = con.execute("select min(as_of_date) from intermediate.int_backtest__as_of_dates").fetchone()[0]
    # the daily scoring rerun as if today were the backtest's first date
    run_dbt(["run", "--select", "int_scoring__as_of_dates", "int_scoring__activities", "int_people__engagement",
             "int_signals__scored", "int_companies__signals", "int_people__signals",
             "int_companies__legal_disqualifications", "int_leads__features", "int_leads__qualification",
             "--vars", "{scored_dates: today_only}"],
            warehouse_copy, tmp_path / "target", as_of=first_date.isoformat())
    with duckdb.connect(str(warehouse_copy), read_only=True) as con:
        compared = con.execute("""
            select b.lead_id, b.fit_score, d.fit_score, b.engagement_score, d.engagement_score,
                   b.intent_score, d.intent_score, b.lead_score, d.lead_score
            from intermediate.int_backtest__lead_scores b
            join intermediate.int_leads__qualification d using (lead_id)
            where b.as_of_date = ?""", [first_date]).fetchall()
    assert len(compared) > 300
    engaged = [row for row in compared if row[3] > 0]
    assert len(engaged) > 20, "the comparison covers engaged leads, not only zeros"
    differing = [row for row in compared if row[1::2] != row[2::2]]
    assert not differing, differing[:5]


def test_the_model_learns_from_each_past_date_only_what_was_known_on_that_date(warehouse_copy, tmp_path):
    """The predictive model's training rows at the backtest's first date hold the features a daily run of that date
    builds: nothing learnt from a later event or export."""
    with duckdb.connect(str(warehouse_copy), read_only=True) as con:
        first_date = con.execute("select min(as_of_date) from intermediate.int_backtest__as_of_dates").fetchone()[0]
        features = [c for (c,) in con.execute("""
            select column_name from information_schema.columns
            where table_schema = 'intermediate' and table_name = 'int_leads__model_features'
              and column_name not in ('as_of_date', 'lead_id') order by ordinal_position""").fetchall()]
    run_dbt(["run", "--select", "int_scoring__as_of_dates", "int_scoring__activities", "int_people__engagement",
             "int_signals__scored", "int_companies__signals", "int_people__signals",
             "int_companies__legal_disqualifications", "int_leads__features", "int_leads__qualification",
             "int_leads__model_features", "--vars", "{scored_dates: today_only}"],
            warehouse_copy, tmp_path / "target", as_of=first_date.isoformat())
    with duckdb.connect(str(warehouse_copy), read_only=True) as con:
        differing = con.execute(f"""
            select lead_id, {', '.join(f't.{c} as training_{c}, d.{c} as daily_{c}' for c in features)}
            from intermediate.int_backtest__training_set as t
            join intermediate.int_leads__model_features as d using (as_of_date, lead_id)
            where t.as_of_date = ? and ({' or '.join(f't.{c} is distinct from d.{c}' for c in features)})""",
                                [first_date]).df()
        compared, engaged = con.execute("""
            select count(*), count(*) filter (where t.engagement_score > 0 or t.intent_score > 0)
            from intermediate.int_backtest__training_set as t
            join intermediate.int_leads__model_features as d using (as_of_date, lead_id)
            where t.as_of_date = ?""", [first_date]).fetchone()
    assert compared > 300 and engaged > 20, (compared, engaged)
    assert differing.empty, differing.head().T


def test_the_report_is_written_beside_the_publication_and_shown_in_dagster(warehouse):
    report = warehouse["published"] / "report"
    page = (report / "index.html").read_text()
    for chart in ("funnel", "lift_by_decile", "time_to_sql"):
        png = (report / f"{chart}.png").read_bytes()
        assert png.startswith(b"\x89PNG") and len(png) > 5_000
        assert base64.b64encode(png).decode() in page, f"{chart} is embedded: the page stands on its own"
    assert "meilleur décile de score" in page and AS_OF.isoformat() in page
    # the sample is below the predictive model's volume: the page says so, with the figures, and draws no model chart
    assert "Un modèle prédictif face au score de lead" in page
    assert "Le modèle prédictif n'est pas entraîné" in page and "LEADS_MODEL_MIN_LEADS" in page
    assert not (report / "model_vs_rules.png").exists()
    metadata = {e.asset_key.to_user_string(): e.materialization.metadata
                for e in warehouse["result"].get_asset_materialization_events()}
    shown = metadata["published/qualification_report"]
    assert shown["chart_lift_by_decile"].value.startswith("![lift_by_decile](data:image/png;base64,")
    assert shown["top_decile_lift"].value >= 2.0
