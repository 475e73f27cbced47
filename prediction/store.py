"""The predictive model in the warehouse (schema `predictions`): every training recorded, its evaluation beside the
rules', and today's predictions. Plain Python on a DuckDB connection; no Dagster.

- `predictions.models`: one row per training (kept: the history of every model), with its window, features,
  parameters, metrics, the decision and why, and the booster itself as LightGBM's text (no personal data: split
  thresholds and category levels).
- `predictions.model_evaluation`: per training, AUC and top-decile lift with the interval of the gain, lift by decile
  and calibration by bin, for the model and for the rules, on the validation dates (dbt's mart model_evaluation
  reads the latest).
- `predictions.lead_predictions`: today's probability and top factors for every lead, from the latest model in use;
  replaced whole in one transaction (empty, with its columns, while no model is in use).
"""

from __future__ import annotations

import ctypes
import datetime as dt
import gc
import hashlib
import json
import math
from typing import Any

import duckdb
import lightgbm
import numpy as np
import pandas as pd

from prediction.conversion_model import (WEIGHT, TrainedModel, TrainingResult, TrainingSettings, factors_text,
                                         top_factors, train_and_compare)

MODELS_DDL = """create table if not exists predictions.models (
    model_id varchar primary key, trained_at timestamp, as_of_date date, target varchar, status varchar,
    reason_key varchar, reason varchar, leads bigint, positives bigint, training_rows bigint,
    fit_dates varchar, calibration_dates varchar, validation_dates varchar, features varchar, parameters varchar,
    metrics varchar, versions varchar, seconds varchar, best_iteration integer, calibration_slope double,
    calibration_intercept double, categories varchar, model_text varchar)"""
EVALUATION_DDL = """create table if not exists predictions.model_evaluation (
    model_id varchar, scorer varchar, metric varchar, bin integer, lead_dates bigint, outcomes bigint,
    predicted double, observed double, value double, lower double, upper double)"""
PREDICTIONS_COLUMNS = ("as_of_date date, lead_id varchar, model_id varchar, predicted_conversion double, "
                       "predicted_factors varchar, predicted_factors_json varchar")


def ensure_tables(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("create schema if not exists predictions")
    con.execute(MODELS_DDL)
    con.execute(EVALUATION_DDL)
    con.execute(f"create table if not exists predictions.lead_predictions ({PREDICTIONS_COLUMNS})")


def _finite(value: Any) -> Any:
    return None if isinstance(value, float) and not math.isfinite(value) else value


def record(con: duckdb.DuckDBPyConnection, result: TrainingResult, as_of: dt.date) -> str:
    """The training as a row of predictions.models and its evaluation rows, in one transaction; returns its id."""
    ensure_tables(con)
    trained_at = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None, microsecond=0)
    deployed = result.deployed
    model_text = deployed.booster.model_to_string(num_iteration=deployed.best_iteration) if deployed else None
    model_id = f"{result.target}-{as_of.isoformat()}-" + hashlib.sha256(
        json.dumps([result.settings, result.dates, result.metrics, model_text], sort_keys=True, default=str)
        .encode()).hexdigest()[:10]
    metrics = {k: _finite(v) for k, v in result.metrics.items()}
    row = [model_id, trained_at, as_of, result.target, result.status, result.reason_key, result.reason,
           result.leads, result.positives, result.rows,
           *(json.dumps(result.dates.get(name, [])) for name in ("fit", "calibration", "validation")),
           json.dumps(result.features), json.dumps(result.settings, default=str), json.dumps(metrics),
           json.dumps(result.versions), json.dumps(result.seconds),
           deployed.best_iteration if deployed else None,
           deployed.calibration[0] if deployed else None, deployed.calibration[1] if deployed else None,
           json.dumps(deployed.categories) if deployed else None, model_text]
    evaluation = []
    for scorer, ev in (("model", result.model), ("rules", result.rules)):
        if ev is None:
            continue
        for metric in ("auc", "top_decile_lift"):
            gain = metric + "_gain"
            lower = metrics.get(gain + "_lower") if scorer == "model" else None
            upper = metrics.get(gain + "_upper") if scorer == "model" else None
            evaluation.append([model_id, scorer, metric, None, metrics["validation_rows"],
                               metrics["validation_positives"], None, None, _finite(getattr(ev, metric)),
                               lower, upper])
        for d in ev.lift_by_decile:
            evaluation.append([model_id, scorer, "lift", d["decile"], d["lead_dates"], d["outcomes"], None,
                               d["rate"], d["lift"], None, None])
        for b in ev.calibration_by_bin:
            evaluation.append([model_id, scorer, "calibration", b["bin"], b["lead_dates"], None, b["predicted"],
                               b["observed"], None, b["lower"], b["upper"]])
    con.execute("begin")
    try:
        # the same training run again (same data, settings and model: same id) replaces its rows, with the new time
        con.execute("delete from predictions.model_evaluation where model_id = ?", [model_id])
        con.execute("delete from predictions.models where model_id = ?", [model_id])
        con.execute("insert into predictions.models values (" + ", ".join("?" * len(row)) + ")", row)
        if evaluation:
            con.executemany("insert into predictions.model_evaluation values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                            evaluation)
        con.execute("commit")
    except Exception:
        con.execute("rollback")
        raise
    return model_id


TRAINING_SET = "intermediate.int_backtest__training_set"


def sampling_rates(positive_rows: int, other_rows: int, max_rows: int) -> tuple[float, float]:
    """The share of the leads that converted, and of the others, read for training: everything up to `max_rows`;
    beyond, the leads that never converted are sampled first, and the converted ones too once they alone would take
    more than half of the rows. Each rate is a multiple of 1e-6 (the hash test below)."""
    if positive_rows + other_rows <= max_rows:
        return 1.0, 1.0
    positive_rate = 1.0 if positive_rows <= max_rows / 2 else (max_rows / 2) / positive_rows
    other_rate = min(1.0, (max_rows - positive_rows * positive_rate) / other_rows) if other_rows else 1.0
    return tuple(max(1, round(rate * 1_000_000)) / 1_000_000 for rate in (positive_rate, other_rate))


def training_set(con: duckdb.DuckDBPyConnection, max_rows: int, log=print) -> pd.DataFrame:
    """The backtest's rows to learn from. Beyond `max_rows`, leads are sampled (all their dates together, by a hash
    of the lead: the same leads every week at the same rate), those that never converted first (sampling_rates), each
    row weighted by the inverse of its lead's rate: the fit, the calibration and the metrics see the whole
    population, from a training set that fits in memory."""
    positive_rows, other_rows = con.execute(f"""
        with leads as (select lead_id, bool_or(converted or won) as positive, count(*) as n
                       from {TRAINING_SET} group by lead_id)
        select coalesce(sum(n) filter (where positive), 0), coalesce(sum(n) filter (where not positive), 0)
        from leads""").fetchone()
    positive_rate, other_rate = sampling_rates(positive_rows, other_rows, max_rows)
    if other_rate < 1:
        log(f"training set: {positive_rows + other_rows:,} rows, more than LEADS_MODEL_MAX_ROWS={max_rows:,}: leads "
            f"that converted read at a rate of {positive_rate:.4f}, the others at {other_rate:.4f}, each row weighted "
            "by the inverse")
    rows = con.execute(f"""
        with positive_leads as (select distinct lead_id from {TRAINING_SET} where converted or won),
        sampled as (
            select t.*, case when p.lead_id is null then {other_rate!r} else {positive_rate!r} end as rate
            from {TRAINING_SET} as t
            left join positive_leads as p using (lead_id)
        )
        select * exclude (rate), 1.0 / rate as {WEIGHT}
        from sampled
        where rate >= 1 or hash(lead_id) % 1000000 < rate * 1000000
        order by as_of_date, lead_id""").df()
    # text features as pandas categories: a few bytes a row instead of a Python string (millions of rows)
    for column in rows.columns:
        if column != "lead_id" and rows[column].dtype == object:
            rows[column] = rows[column].astype("category")
    return rows


def train(con: duckdb.DuckDBPyConnection, as_of: dt.date, settings: TrainingSettings,
          targets: tuple[str, ...] = ("opportunity", "won_deal"), log=print) -> list[tuple[str, TrainingResult]]:
    """Train each target on the backtest's rows and record it."""
    rows = training_set(con, settings.max_training_rows, log=log)
    log(f"training set: {len(rows):,} (lead, date) rows read, {rows['lead_id'].nunique():,} leads, "
        f"{rows['as_of_date'].nunique()} dates")
    recorded = []
    for target in targets:
        result = train_and_compare(rows, target, settings, log=log)
        recorded.append((record(con, result, as_of), result))
        result.deployed = None  # recorded as text; the next target's fit needs the memory
        release_freed_memory()
    return recorded


def release_freed_memory() -> None:
    """Hand the memory freed by one training back to the system before the next (glibc keeps freed blocks in its
    heap otherwise, and the peak grows by a copy of the training frames each target)."""
    gc.collect()
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):  # not glibc: nothing to hand back
        pass


def model_in_use(con: duckdb.DuckDBPyConnection, target: str = "opportunity") -> tuple[str, TrainedModel] | None:
    """The latest training of the target, when it is in use; None when the latest kept the rules (an older model
    that once beat them is not brought back: the newest evidence decides)."""
    ensure_tables(con)
    row = con.execute("""select model_id, status, features, categories, calibration_slope, calibration_intercept,
                                best_iteration, model_text
                         from predictions.models where target = ? order by trained_at desc, model_id desc limit 1""",
                      [target]).fetchone()
    if row is None or row[1] != "in_use":
        return None
    model_id, _, features, categories, slope, intercept, best, text = row
    booster = lightgbm.Booster(model_str=text)
    return model_id, TrainedModel(booster=booster, features=json.loads(features), categories=json.loads(categories),
                                  calibration=(slope, intercept), best_iteration=best)


def feature_words(con: duckdb.DuckDBPyConnection, language: str) -> dict[str, str]:
    try:
        return dict(con.execute(f"select feature, words_{language} from scoring.model_feature_words").fetchall())
    except duckdb.CatalogException:
        return {}


PREDICTION_CHUNK = 100_000


def predict_today(con: duckdb.DuckDBPyConnection, as_of: dt.date, language: str = "fr",
                  log=print) -> dict[str, Any]:
    """Today's leads scored by the model in use, written to predictions.lead_predictions (replaced whole); an empty
    table when no model is in use. Returns what was done."""
    ensure_tables(con)
    in_use = model_in_use(con)
    frame = pd.DataFrame(columns=["as_of_date", "lead_id", "model_id", "predicted_conversion", "predicted_factors",
                                  "predicted_factors_json"])
    if in_use is not None:
        model_id, model = in_use
        leads = con.execute("select * from intermediate.int_leads__model_features where as_of_date = ? "
                            "order by lead_id", [as_of]).df()
        missing = [f for f in model.features if f not in leads.columns]
        if missing:
            raise ValueError(f"intermediate.int_leads__model_features lacks the model's features {missing}: the "
                             "model in use was trained on them; retrain it (the weekly_backtest job)")
        words = feature_words(con, language)
        scored = []
        # by chunks: the trees' contributions of a million leads at once would take gigabytes
        for start in range(0, len(leads), PREDICTION_CHUNK):
            chunk = leads.iloc[start:start + PREDICTION_CHUNK]
            factors = top_factors(model, chunk, words, language)
            scored.append(pd.DataFrame({
                "as_of_date": chunk["as_of_date"], "lead_id": chunk["lead_id"], "model_id": model_id,
                "predicted_conversion": np.round(model.probability(chunk), 4),
                "predicted_factors": [factors_text(f, language) for f in factors],
                "predicted_factors_json": [json.dumps(f, ensure_ascii=False) for f in factors]}))
            if len(leads) > PREDICTION_CHUNK:
                log(f"scored {min(start + PREDICTION_CHUNK, len(leads)):,} of {len(leads):,} leads")
        if scored:
            frame = pd.concat(scored, ignore_index=True)
        log(f"{len(frame):,} leads scored by {model_id}")
    else:
        log("no model in use (the latest training kept the rules, or none has run): predictions left empty")
    con.execute("begin")
    try:
        con.execute("delete from predictions.lead_predictions")
        if len(frame):
            con.register("scored_leads", frame)
            con.execute("insert into predictions.lead_predictions select * from scored_leads")
            con.unregister("scored_leads")
        con.execute("commit")
    except Exception:
        con.execute("rollback")
        raise
    return {"model_id": in_use[0] if in_use else None, "leads_scored": len(frame)}
