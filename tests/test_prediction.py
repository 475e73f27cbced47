"""The predictive challenger (prediction/) on training sets whose truth is known (bench/prediction.py writes them in
the shape of dbt's int_backtest__training_set and int_leads__model_features): it is used where it finds what the
rules miss, stays off where nothing can be learnt, says why it was not trained, never fits on outcomes that overlap
its validation dates, is reproducible, and words each lead's top factors for a salesperson."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import duckdb
import numpy as np
import pytest

from bench.prediction import synthetic_training_set
from prediction.conversion_model import (TrainingSettings, deciles_by_date, factors_text, split_dates,
                                         train_and_compare)
from prediction.store import model_in_use, predict_today, record, sampling_rates, train, training_set

REPO = Path(__file__).resolve().parent.parent
AS_OF = dt.date(2026, 11, 26)
WORDS = REPO / "dbt_project" / "seeds" / "scoring" / "model_feature_words.csv"
QUIET = {"log": lambda message: None}


def _warehouse(path: Path, leads: int, outcome: str) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(str(path))
    synthetic_training_set(con, leads, 26, outcome=outcome)
    con.execute("create schema if not exists scoring")
    con.execute(f"create table scoring.model_feature_words as select * from read_csv('{WORDS}', header = true)")
    return con


@pytest.fixture(scope="module")
def learnable(tmp_path_factory):
    """6,000 leads × 26 weekly dates whose opportunities follow a buying burst, a decision-maker's title, and a
    funding or hiring signal only when the company fits the profile: trained, recorded and today's leads scored."""
    con = _warehouse(tmp_path_factory.mktemp("learnable") / "warehouse.duckdb", 6000, "interaction")
    recorded = dict((result.target, (model_id, result))
                    for model_id, result in train(con, AS_OF, TrainingSettings(), **QUIET))
    done = predict_today(con, AS_OF, "fr", **QUIET)
    yield con, recorded, done
    con.close()


def test_a_model_that_finds_what_the_rules_miss_is_put_in_use(learnable):
    con, recorded, done = learnable
    model_id, result = recorded["opportunity"]
    assert result.status == "in_use", result.reason
    assert result.metrics["auc_gain_lower"] > 0 and result.metrics["top_decile_lift_gain_lower"] > 0
    assert result.metrics["model_auc"] > result.metrics["rules_auc"] + 0.03
    assert done == {"model_id": model_id, "leads_scored": 6000}
    assert model_in_use(con)[0] == model_id
    stored = con.execute("select status, reason_key, leads, validation_dates from predictions.models "
                         "where model_id = ?", [model_id]).fetchone()
    assert stored[:3] == ("in_use", "beats_the_rules", 6000) and len(json.loads(stored[3])) == 6
    # the evaluation beside the rules': AUC and top-decile lift for both, ten deciles each, ten calibration bins
    shape = dict(con.execute("""select scorer || ':' || metric, count(*) from predictions.model_evaluation
                                where model_id = ? group by all""", [model_id]).fetchall())
    assert shape == {"model:auc": 1, "rules:auc": 1, "model:top_decile_lift": 1, "rules:top_decile_lift": 1,
                     "model:lift": 10, "rules:lift": 10, "model:calibration": 10}


def test_the_model_learns_that_a_signal_matters_only_when_the_company_fits(learnable):
    con = learnable[0]
    by_group = con.execute("""
        select f.sector_points > 0 and f.headcount_points > 0 as fits, f.title_is_decision_role as decision_maker,
               avg(p.predicted_conversion) as predicted, count(*) as leads
        from predictions.lead_predictions as p
        join intermediate.int_leads__model_features as f using (as_of_date, lead_id)
        where f.intent_score > 0 and not f.has_pricing_burst
        group by all""").df().set_index(["fits", "decision_maker"])["predicted"]
    # the truth: a recent signal multiplies the odds by e^3.5 for a company that fits, and does nothing otherwise
    assert by_group[(True, False)] > 5 * by_group[(False, False)], by_group
    assert by_group[(True, True)] > 2 * by_group[(True, False)], by_group
    # the rules give the same intent points to both: they cannot tell these leads apart on the signal
    rules = con.execute("""
        select sector_points > 0 and headcount_points > 0 as fits, avg(intent_score)
        from intermediate.int_leads__model_features where intent_score > 0 group by all""").fetchall()
    assert len({round(points) for _, points in rules}) == 1


def test_its_probabilities_match_the_observed_rates(learnable):
    con, recorded, _ = learnable
    model_id = recorded["opportunity"][0]
    bins = con.execute("""select bin, lead_dates, predicted, observed from predictions.model_evaluation
                          where model_id = ? and metric = 'calibration' and lead_dates >= 1000""", [model_id]).df()
    assert len(bins) == 10, bins
    assert (bins["predicted"] - bins["observed"]).abs().max() < 0.05, bins
    weighted_gap = ((bins["predicted"] - bins["observed"]) * bins["lead_dates"]).sum() / bins["lead_dates"].sum()
    assert abs(weighted_gap) < 0.01, bins


def test_each_lead_gets_its_top_factors_worded_in_french(learnable):
    con = learnable[0]
    rows = con.execute("""select predicted_conversion, predicted_factors, predicted_factors_json
                          from predictions.lead_predictions order by predicted_conversion desc limit 50""").fetchall()
    average = con.execute("select avg(predicted_conversion) from predictions.lead_predictions").fetchone()[0]
    for probability, text, factors_json in rows:
        factors = json.loads(factors_json)
        assert 1 <= len(factors) <= 3 and text == factors_text(factors, "fr")
        assert " pts)" in text and all(f["words"] and "{value}" not in f["words"] for f in factors)
        # the likeliest leads are explained by what raises them, in points that add up to no more than their lead
        # over the average lead
        assert factors[0]["points"] > 0
        assert sum(f["points"] for f in factors if f["points"] > 0) <= 100 * (probability - average) + 1
    # each factor words the lead's own value
    flags = con.execute("""select p.predicted_factors_json, f.title_is_decision_role, f.has_pricing_burst
                           from predictions.lead_predictions as p
                           join intermediate.int_leads__model_features as f using (as_of_date, lead_id)""").fetchall()
    checked = 0
    for factors_json, title, burst in flags:
        for f in json.loads(factors_json):
            if f["feature"] in ("title_is_decision_role", "has_pricing_burst"):
                value = title if f["feature"] == "title_is_decision_role" else burst
                assert f["words"].endswith(": oui" if value else ": non"), (f, value)
                checked += 1
    assert checked > 100
    # what the rules do not score, a decision-maker's title, is among the reasons of most of them
    titled = [j for _, _, j in rows if "title_is_decision_role" in j or "bant_authority" in j]
    assert len(titled) > 25
    factor = next(f for f in json.loads(titled[0]) if f["feature"] in ("title_is_decision_role", "bant_authority"))
    assert factor["words"].endswith(": oui") and factor["points"] > 0
    # French: the seed's words and the decimal comma; English by the setting
    assert "(+6,2 pts)" in factors_text([{**factor, "points": 6.2}], "fr")
    assert "(+6.2 pts)" in factors_text([{**factor, "points": 6.2}], "en")


def test_outcomes_that_no_feature_explains_keep_the_rules(tmp_path):
    con = _warehouse(tmp_path / "warehouse.duckdb", 3000, "independent")
    [(model_id, opportunity), (_, won)] = train(con, AS_OF, TrainingSettings(), **QUIET)
    assert opportunity.status == "rules_kept" and opportunity.reason_key == "does_not_beat_the_rules"
    assert opportunity.metrics["auc_gain_lower"] <= 0
    assert won.status in ("rules_kept", "not_trained")
    assert model_in_use(con) is None
    assert predict_today(con, AS_OF, **QUIET) == {"model_id": None, "leads_scored": 0}
    assert con.execute("select count(*) from predictions.lead_predictions").fetchone()[0] == 0
    assert con.execute("select model_text from predictions.models where model_id = ?", [model_id]
                       ).fetchone()[0] is None, "a model kept out of use is not stored to be used"


def test_too_little_volume_is_not_trained_and_says_why(tmp_path):
    con = _warehouse(tmp_path / "warehouse.duckdb", 400, "interaction")
    [(model_id, result), _] = train(con, AS_OF, TrainingSettings(), **QUIET)
    assert result.status == "not_trained" and result.reason_key == "too_little_volume"
    assert "400 leads" in result.reason and "LEADS_MODEL_MIN_LEADS" in result.reason
    stored = con.execute("select status, leads, positives from predictions.models where model_id = ?",
                         [model_id]).fetchone()
    assert stored == ("not_trained", 400, result.positives)
    from ingestion.settings import load_settings
    from publication.report import model_chart, model_lines

    _published_evaluation(con)
    [said] = model_lines(con, load_settings(), "fr")
    assert said.startswith("Le modèle prédictif n'est pas entraîné : 400 leads, dont") and "1\u202f000" in said
    assert model_chart(con, "fr") is None
    # the same rows with the thresholds lowered (the settings a smaller team would choose) are trained
    lowered = train_and_compare(training_set(con, 3_000_000, **QUIET), "opportunity",
                                TrainingSettings(min_leads=300, min_positives=20), **QUIET)
    assert lowered.status in ("in_use", "rules_kept")


def test_no_fitted_outcome_overlaps_the_validation_dates():
    weekly = [dt.date(2026, 2, 26) + dt.timedelta(days=7 * k) for k in range(26)]
    split = split_dates(weekly, TrainingSettings())
    assert split["validation"] == weekly[-6:]
    assert max(split["fit"]) + dt.timedelta(days=90) <= min(split["validation"])
    assert max(split["fit"]) < min(split["calibration"]) and max(split["calibration"]) < min(split["validation"])
    assert sorted(split["fit"] + split["calibration"] + split["validation"]) == weekly
    # a history too short for fit dates, an embargo and six validation dates is not split
    assert split_dates(weekly[-18:], TrainingSettings()) is None


def test_a_history_beyond_the_row_limit_is_sampled_and_weighted_back_to_the_whole(tmp_path):
    con = _warehouse(tmp_path / "warehouse.duckdb", 6000, "interaction")
    full = con.execute("""select count(*), count(distinct lead_id),
                                 count(distinct lead_id) filter (where converted or won),
                                 count(*) filter (where lead_id in (select lead_id from intermediate.int_backtest__training_set
                                                                    where converted or won))
                          from intermediate.int_backtest__training_set""").fetchone()
    limit = full[3] + (full[0] - full[3]) // 3  # the converted leads' rows take less than half of it
    rows = training_set(con, limit, **QUIET)
    assert len(rows) == pytest.approx(limit, rel=0.1) and len(rows) < 0.6 * full[0]
    positive_leads = set(rows.loc[rows["converted"] | rows["won"], "lead_id"])
    assert len(positive_leads) == full[2], "every lead that converted is read"
    kept = rows["lead_id"].isin(positive_leads)
    assert (rows.loc[kept, "sample_weight"] == 1).all() and (rows.loc[~kept, "sample_weight"] > 1).all()
    # the same leads every week: a sampled lead has all its dates
    assert (rows.groupby("lead_id")["as_of_date"].nunique() == 26).all()
    assert rows["sample_weight"].sum() == pytest.approx(full[0], rel=0.1)
    result = train_and_compare(rows, "opportunity", TrainingSettings(), **QUIET)
    assert result.leads == pytest.approx(full[1], rel=0.1) and result.metrics["sampled_rows"] == len(rows)
    assert result.metrics["validation_rows"] == pytest.approx(full[0] * 6 / 26, rel=0.1)
    # learnt from the sample, it still finds what the rules miss
    assert result.metrics["auc_gain_lower"] > 0, result.reason


def test_when_converted_leads_alone_pass_half_the_limit_they_are_sampled_too(tmp_path):
    assert sampling_rates(1_000, 9_000, 20_000) == (1.0, 1.0)
    assert sampling_rates(30_000, 0, 20_000) == (round(10_000 / 30_000, 6), 1.0)  # every lead converted
    positive_rate, other_rate = sampling_rates(1_000, 9_000, 5_000)
    assert positive_rate == 1.0 and other_rate == pytest.approx(4_000 / 9_000, abs=1e-6)
    positive_rate, other_rate = sampling_rates(8_000, 32_000, 10_000)
    assert positive_rate == pytest.approx(5_000 / 8_000) and other_rate == pytest.approx(5_000 / 32_000)
    con = _warehouse(tmp_path / "warehouse.duckdb", 3000, "interaction")
    full, positives = con.execute("""select count(*), count(distinct lead_id) filter (where converted)
                                     from intermediate.int_backtest__training_set""").fetchone()
    rows = training_set(con, 10_000, **QUIET)
    assert len(rows) == pytest.approx(10_000, rel=0.15)
    assert rows["sample_weight"].sum() == pytest.approx(full, rel=0.1)
    weighted_positives = rows[rows["converted"]].groupby("lead_id")["sample_weight"].first().sum()
    assert weighted_positives == pytest.approx(positives, rel=0.15)


def test_weighted_deciles_rank_a_sampled_row_as_the_rows_it_stands_for():
    dates = np.array(["d"] * 4)
    score = np.array([1.0, 2.0, 3.0, 4.0])
    # the lowest row stands for nine: the other three share the top decile
    deciles = deciles_by_date(dates, score, np.arange(4), np.array([9.0, 1 / 3, 1 / 3, 1 / 3]))
    assert deciles.tolist() == [1, 10, 10, 10]
    assert deciles_by_date(dates, score, np.arange(4)).tolist() == [1, 3, 6, 8]


def test_the_same_training_twice_is_the_same_model_recorded_once(learnable):
    con, recorded, _ = learnable
    model_id, first = recorded["opportunity"]
    shuffled = training_set(con, 3_000_000, **QUIET).sample(frac=1, random_state=1)
    again = train_and_compare(shuffled, "opportunity", TrainingSettings(), **QUIET)
    stored = con.execute("select model_text from predictions.models where model_id = ?", [model_id]).fetchone()[0]
    assert again.deployed.booster.model_to_string(num_iteration=again.deployed.best_iteration) == stored
    assert again.metrics == first.metrics
    # recorded again (the weekly job rerun), it replaces its rows instead of adding a second model
    assert record(con, again, AS_OF) == model_id
    counts = con.execute("""select (select count(*) from predictions.models where model_id = $1),
                                   (select count(*) from predictions.model_evaluation where model_id = $1)""",
                         [model_id]).fetchone()
    assert counts == (1, 34)


def test_the_benchmark_writes_the_training_set_as_dbt_builds_it(read_warehouse):
    """bench/prediction.py's synthetic tables have dbt's columns and types: what it times is what the pipeline
    trains on."""
    con = duckdb.connect()
    synthetic_training_set(con, 50, 26)
    for table in ("int_backtest__training_set", "int_leads__model_features"):
        query = (f"select column_name, data_type from information_schema.columns where table_schema = "
                 f"'intermediate' and table_name = '{table}' order by ordinal_position")
        synthetic, dbt = con.execute(query).fetchall(), read_warehouse.execute(query).fetchall()
        assert [c for c, _ in synthetic] == [c for c, _ in dbt], table
        differing = [(s, d) for s, d in zip(synthetic, dbt) if _family(s[1]) != _family(d[1])]
        assert not differing, (table, differing)


def test_dbt_declares_the_prediction_tables_as_the_model_writes_them(tmp_path):
    """dbt's on-run-start hook (macros/create_prediction_sources.sql) creates the tables prediction/store.py writes,
    so that `dbt build` runs before any training: same columns, same types, the same key."""
    from conftest import run_dbt
    from prediction.store import ensure_tables

    run_dbt(["run-operation", "create_prediction_sources"], tmp_path / "dbt.duckdb", tmp_path / "target")
    python = duckdb.connect()
    ensure_tables(python)
    query = ("select table_name, column_name, data_type from information_schema.columns "
             "where table_schema = 'predictions' order by table_name, ordinal_position")
    keys = ("select table_name, constraint_type from information_schema.table_constraints "
            "where table_schema = 'predictions' order by all")
    with duckdb.connect(str(tmp_path / "dbt.duckdb"), read_only=True) as dbt:
        assert dbt.execute(query).fetchall() == python.execute(query).fetchall()
        assert dbt.execute(keys).fetchall() == python.execute(keys).fetchall()
    hooks = (REPO / "dbt_project" / "dbt_project.yml").read_text()
    assert "create_prediction_sources()" in hooks


def _family(duckdb_type: str) -> str:
    numbers = ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "DOUBLE", "FLOAT", "DECIMAL")
    return "number" if duckdb_type.startswith(numbers) else duckdb_type


def _published_evaluation(con: duckdb.DuckDBPyConnection) -> None:
    """The mart model_evaluation as dbt builds it, under the name the report reads in the publication."""
    sql = (REPO / "dbt_project" / "models" / "marts" / "prediction" / "model_evaluation.sql").read_text()
    sql = sql.replace("{{ source('predictions', 'models') }}", "predictions.models")
    sql = sql.replace("{{ source('predictions', 'model_evaluation') }}", "predictions.model_evaluation")
    con.execute(f"create or replace view main.model_evaluation as {sql}")


def test_the_report_says_the_model_is_in_use_with_its_figures_and_charts(learnable):
    from ingestion.settings import load_settings
    from publication.report import model_chart, model_lines

    con = learnable[0]
    _published_evaluation(con)
    verdict, figures = model_lines(con, load_settings(), "fr")
    assert verdict.startswith("Le modèle prédictif est utilisé") and "predicted_factors" in verdict
    assert "Sur les 6 semaines les plus récentes du backtest" in figures
    auc = learnable[1]["opportunity"][1].metrics["model_auc"]
    assert f"{100 * auc:.1f}".replace(".", ",") in figures, "the AUC as a French percentage"
    assert model_lines(con, load_settings(), "en")[0].startswith("The predictive model is in use")
    png = model_chart(con, "fr")
    assert png.startswith(b"\x89PNG") and len(png) > 10_000


def test_scoring_by_chunks_gives_what_scoring_at_once_gives(learnable, monkeypatch):
    import prediction.store

    con = learnable[0]
    whole = con.execute("select * from predictions.lead_predictions order by lead_id").df()
    monkeypatch.setattr(prediction.store, "PREDICTION_CHUNK", 1_000)
    messages = []
    predict_today(con, AS_OF, "fr", log=messages.append)
    assert "scored 3,000 of 6,000 leads" in messages
    chunked = con.execute("select * from predictions.lead_predictions order by lead_id").df()
    assert chunked.equals(whole)


def test_the_newest_training_decides_and_a_day_without_leads_scores_none(learnable):
    """Run last in the module: it changes the shared warehouse. A day with no leads replaces yesterday's predictions
    with none; a training that keeps the rules takes the older model out of use."""
    con = learnable[0]
    assert con.execute("select count(*) from predictions.lead_predictions").fetchone()[0] == 6000
    assert predict_today(con, AS_OF + dt.timedelta(days=1), **QUIET) == {"model_id": learnable[2]["model_id"],
                                                                          "leads_scored": 0}
    assert con.execute("select count(*) from predictions.lead_predictions").fetchone()[0] == 0
    synthetic_training_set(con, 6000, 26, outcome="independent")
    [(_, result)] = train(con, AS_OF, TrainingSettings(), targets=("opportunity",), **QUIET)
    assert result.status == "rules_kept", result.reason
    assert model_in_use(con) is None
    assert predict_today(con, AS_OF, **QUIET) == {"model_id": None, "leads_scored": 0}
    from ingestion.settings import load_settings
    from publication.report import model_lines

    _published_evaluation(con)
    assert model_lines(con, load_settings(), "fr")[0].startswith("Le modèle prédictif n'est pas utilisé")
