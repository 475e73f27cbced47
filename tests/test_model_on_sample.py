"""The predictive challenger on the generator's own sample, built as `make run` builds it (every asset materialised):
the planted outcomes follow a funding round or a hiring surge only at companies that fit the ideal customer profile
(ingestion/sample_data/crm.py, _buying_episodes), an interaction the rules' additive points cannot express. The model
finds it and is put in use; with the same sample's outcomes shuffled among its leads, it beats nothing and the rules
stay."""

from __future__ import annotations

import duckdb
import pytest

from conftest import AS_OF, _materialise_everything, built_once
from prediction.conversion_model import TrainingSettings
from prediction.store import model_in_use, train

SCALE = 0.01  # make run's sample: 8 644 backtest leads, 520 with an opportunity within the horizon
QUIET = {"log": lambda message: None}


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    from ingestion.sample_data.__main__ import generate

    def build(folder):
        generate(folder / "landing", scale=SCALE, as_of=AS_OF)
        _materialise_everything(folder, folder / "landing")

    folder = built_once(tmp_path_factory, "model_sample", build)
    return {"path": folder / "warehouse.duckdb", "published": folder / "published"}


def test_on_the_generated_sample_the_model_beats_the_rules_and_is_used(sample):
    con = duckdb.connect(str(sample["path"]), read_only=True)
    status, reason, metrics = con.execute("""select status, reason, metrics from predictions.models
                                             where target = 'opportunity'""").fetchone()
    assert status == "in_use", reason
    in_use = con.execute("""select count(*), count(predicted_conversion), count(predicted_factors)
                            from marts.qualified_leads""").fetchone()
    assert in_use[0] > 5000 and in_use[1] == in_use[0] and in_use[2] == in_use[0], in_use
    # the interaction: among leads with a recent funding round or hiring surge, the model gives those whose company
    # fits far more than those whose company does not; the rules give both the same intent points
    by_fit = dict(con.execute("""
        select f.sector_points > 0 and f.headcount_points > 0, avg(p.predicted_conversion)
        from predictions.lead_predictions as p
        join intermediate.int_leads__model_features as f using (as_of_date, lead_id)
        where f.funding_points > 0 or f.hiring_points > 0
        group by all""").fetchall())
    assert by_fit[True] > 3 * by_fit[False], by_fit
    con.close()
    report = (sample["published"] / "report" / "index.html").read_text(encoding="utf-8")
    assert "Le modèle prédictif est utilisé" in report


def test_on_the_same_sample_with_outcomes_shuffled_the_rules_stay(sample, tmp_path):
    import shutil

    copy = tmp_path / "warehouse.duckdb"
    shutil.copy(sample["path"], copy)
    con = duckdb.connect(str(copy))
    # each (lead, date) gets the outcomes of another row of the same date, drawn at random: the same rates, the same
    # features, no link between them
    con.execute("""
        create or replace table intermediate.int_backtest__training_set as
        with rows as (select *, row_number() over (partition by as_of_date order by lead_id) as position,
                             row_number() over (partition by as_of_date order by hash(lead_id, 'shuffle')) as drawn
                      from intermediate.int_backtest__training_set)
        select r.* exclude (converted, won, position, drawn), o.converted, o.won
        from rows as r join rows as o on o.as_of_date = r.as_of_date and o.position = r.drawn""")
    [(_, result)] = train(con, AS_OF, TrainingSettings(), targets=("opportunity",), **QUIET)
    assert result.status == "rules_kept", result.reason
    assert result.metrics["auc_gain_lower"] <= 0 or result.metrics["top_decile_lift_gain_lower"] <= 0
    assert model_in_use(con) is None
    con.close()
