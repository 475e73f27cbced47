"""A conversion model learnt from the team's own deals, as a challenger to the rules: trained on the backtest's
(lead, past as-of date) rows, judged against the rules' lead score on the newest dates, and used only where it beats
them. Plain Python (pandas, LightGBM, scikit-learn); no Dagster, no warehouse (prediction/store.py reads and writes).

The split is in time, never random:

    fit dates ........ embargo (horizon) ........ validation dates (the newest)
    d1 … dk            calibration dates           d(n-V+1) … dn

A training row's outcome is seen up to horizon days after its date, so the fit dates end a full horizon before the
first validation date: no fitted outcome overlaps the validation period (a lead that converts in it would otherwise
be learnt at an earlier date and recognised at a later one). The dates in between calibrate the probabilities (a
two-parameter logistic map of the trees' margin, which cannot learn who converts). The metrics are those of this
model on the validation dates; the model used on today's leads is refitted the same way one window later (fit on
every date but the validation ones, calibrated on those), so it has learnt from the newest outcomes too.

The decision is made on the validation rows with a lead bootstrap (leads drawn with Poisson weights, all their dates
together): the model is used only when the lower bound of the interval of (model - rules) is above zero for both the
AUC and the top-decile lift.
"""

from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass, field
from typing import Any

import lightgbm
import numpy as np
import pandas as pd
import sklearn

from publication.wording import number, signed

IDENTITY = ("as_of_date", "lead_id")
# rows of never-converting leads read for training at a sampling rate carry the inverse of the rate
# (prediction/store.py, training_set); every sum, fit and metric is weighted by it
WEIGHT = "sample_weight"
# the outcome columns of the training set, by target name
TARGETS = {"opportunity": "converted", "won_deal": "won"}
OUTCOME_WORDS = {"opportunity": "an opportunity", "won_deal": "a won deal"}  # in the reason recorded
RULES_COLUMNS = ("rules_lead_score", "rules_score_decile")


@dataclass(frozen=True)
class TrainingSettings:
    """Einstein's minimum by default: 1,000 leads and 120 that converted (LEADS_MODEL_MIN_LEADS,
    LEADS_MODEL_MIN_POSITIVES)."""

    min_leads: int = 1000
    min_positives: int = 120
    max_training_rows: int = 3_000_000  # beyond, never-converting leads are sampled (LEADS_MODEL_MAX_ROWS)
    validation_dates: int = 6
    horizon_days: int = 90
    seed: int = 42
    bootstrap_rounds: int = 200
    interval: float = 0.90
    parameters: dict[str, Any] = field(default_factory=lambda: {
        "objective": "binary", "learning_rate": 0.05, "num_leaves": 15, "min_child_samples": 40,
        "feature_fraction": 0.8, "bagging_fraction": 0.8, "bagging_freq": 1, "lambda_l2": 1.0,
        "max_cat_to_onehot": 8, "verbose": -1, "deterministic": True, "force_row_wise": True, "num_threads": 2,
    })
    max_rounds: int = 400
    early_stopping_rounds: int = 30


@dataclass
class Evaluation:
    """How a scorer (the model or the rules) ranks the validation rows."""

    auc: float
    top_decile_lift: float
    lift_by_decile: list[dict[str, Any]]
    calibration_by_bin: list[dict[str, Any]]


@dataclass
class TrainedModel:
    """A fitted booster, its calibration, and what it reads."""

    booster: lightgbm.Booster
    features: list[str]
    categories: dict[str, list[str]]
    calibration: tuple[float, float]  # p = 1 / (1 + exp(-(a * margin + b)))
    best_iteration: int

    def margin(self, frame: pd.DataFrame) -> np.ndarray:
        return self.booster.predict(encode(frame, self.features, self.categories), raw_score=True,
                                    num_iteration=self.best_iteration)

    def probability(self, frame: pd.DataFrame) -> np.ndarray:
        return calibrated(self.margin(frame), self.calibration)

    def contributions(self, frame: pd.DataFrame) -> np.ndarray:
        """Each feature's signed contribution to the margin (TreeSHAP), the last column the expected margin."""
        return self.booster.predict(encode(frame, self.features, self.categories), pred_contrib=True,
                                    num_iteration=self.best_iteration)


@dataclass
class TrainingResult:
    target: str
    status: str  # in_use | rules_kept | not_trained
    reason: str  # English; the report words it in the run's language from `reason_key` and the figures
    reason_key: str
    leads: int
    positives: int
    rows: int
    features: list[str]
    settings: dict[str, Any]
    dates: dict[str, Any] = field(default_factory=dict)
    metrics: dict[str, Any] = field(default_factory=dict)
    model: Evaluation | None = None
    rules: Evaluation | None = None
    deployed: TrainedModel | None = None
    seconds: dict[str, float] = field(default_factory=dict)
    versions: dict[str, str] = field(default_factory=lambda: {
        "lightgbm": lightgbm.__version__, "scikit-learn": sklearn.__version__, "numpy": np.__version__})


def feature_columns(training: pd.DataFrame) -> list[str]:
    """Every column of the training set but its keys, outcomes and the rules' own score and decile."""
    excluded = {*IDENTITY, *TARGETS.values(), *RULES_COLUMNS, WEIGHT}
    return [c for c in training.columns if c not in excluded]


def category_levels(frame: pd.DataFrame, features: list[str]) -> dict[str, list[str]]:
    """The levels of each text feature, sorted: the same codes at training and at scoring."""
    return {c: sorted(frame[c].dropna().astype(str).unique().tolist()) for c in features
            if frame[c].dtype == object or isinstance(frame[c].dtype, pd.CategoricalDtype)
            or pd.api.types.is_string_dtype(frame[c])}


def encode(frame: pd.DataFrame, features: list[str], categories: dict[str, list[str]]) -> pd.DataFrame:
    """The features as LightGBM reads them: text as pandas categories with the training levels (an unseen level is
    missing), flags as 0/1, numbers as floats."""
    out = {}
    for c in features:
        column = frame[c]
        if c in categories and isinstance(column.dtype, pd.CategoricalDtype):
            out[c] = column.cat.set_categories(categories[c])  # codes remapped, no string copied
        elif c in categories:
            out[c] = pd.Categorical(column.astype("string"), categories=categories[c])
        else:
            out[c] = pd.to_numeric(column.astype("float64") if column.dtype == bool else column,
                                   errors="coerce").astype("float64")
    return pd.DataFrame(out, index=frame.index)


def calibrated(margin: np.ndarray, calibration: tuple[float, float]) -> np.ndarray:
    a, b = calibration
    return 1.0 / (1.0 + np.exp(-(a * margin + b)))


def weights_of(frame: pd.DataFrame) -> np.ndarray:
    """Each row's weight: the inverse of its lead's sampling rate, or 1."""
    if WEIGHT in frame.columns:
        return frame[WEIGHT].astype("float64").to_numpy()
    return np.ones(len(frame))


def fit_calibration(margin: np.ndarray, outcome: np.ndarray, weights: np.ndarray | None = None
                    ) -> tuple[float, float]:
    """Platt scaling: the logistic regression of the outcome on the margin (two parameters, barely regularised)."""
    from sklearn.linear_model import LogisticRegression

    if outcome.min() == outcome.max():
        return 1.0, 0.0
    regression = LogisticRegression(C=1e6, max_iter=1000).fit(margin.reshape(-1, 1), outcome, sample_weight=weights)
    return float(regression.coef_[0, 0]), float(regression.intercept_[0])


def fit(frame: pd.DataFrame, outcome: str, features: list[str], settings: TrainingSettings,
        stopping: pd.DataFrame | None = None, rounds: int | None = None) -> tuple[lightgbm.Booster, int]:
    """Gradient-boosted trees, seeded and deterministic. With `stopping`, the rounds stop when its log loss stops
    improving; with `rounds`, exactly that many."""
    categories = category_levels(frame, features)
    parameters = {**settings.parameters, "seed": settings.seed}
    train = lightgbm.Dataset(encode(frame, features, categories), label=frame[outcome].astype(int),
                             weight=weights_of(frame), categorical_feature=list(categories) or "auto",
                             free_raw_data=False)
    callbacks, valid_sets = [], []
    if stopping is not None and rounds is None:
        valid_sets = [lightgbm.Dataset(encode(stopping, features, categories), label=stopping[outcome].astype(int),
                                       weight=weights_of(stopping), reference=train)]
        callbacks = [lightgbm.early_stopping(settings.early_stopping_rounds, verbose=False)]
    booster = lightgbm.train(parameters, train, num_boost_round=rounds or settings.max_rounds,
                             valid_sets=valid_sets, callbacks=callbacks)
    best = booster.best_iteration if valid_sets and booster.best_iteration > 0 else booster.current_iteration()
    return booster, best


def fit_and_calibrate(fit_rows: pd.DataFrame, calibration_rows: pd.DataFrame, outcome: str, features: list[str],
                      settings: TrainingSettings, rounds: int | None = None) -> TrainedModel:
    booster, best = fit(fit_rows, outcome, features, settings, stopping=calibration_rows, rounds=rounds)
    model = TrainedModel(booster=booster, features=features, categories=category_levels(fit_rows, features),
                         calibration=(1.0, 0.0), best_iteration=best)
    model.calibration = fit_calibration(model.margin(calibration_rows),
                                        calibration_rows[outcome].astype(int).to_numpy(), weights_of(calibration_rows))
    return model


def deciles_by_date(dates: pd.Series, score: np.ndarray, tie_breaker: np.ndarray,
                    weights: np.ndarray | None = None) -> np.ndarray:
    """Deciles 1–10 of a score within each date (10 = highest), ties broken by a fixed key, as the backtest does;
    with weights, by the weight of the rows ranked below (a sampled row stands for 1 / rate rows)."""
    dates = np.asarray(dates)
    weights = np.ones(len(dates)) if weights is None else np.asarray(weights, dtype=float)
    order = np.lexsort((np.asarray(tie_breaker), score, dates))  # by date, then score, then the key
    sorted_dates, sorted_weights = dates[order], weights[order]
    starts = np.r_[0, np.flatnonzero(sorted_dates[1:] != sorted_dates[:-1]) + 1]
    sizes = np.diff(np.r_[starts, len(order)])
    group = np.repeat(np.arange(len(starts)), sizes)
    cumulative = np.cumsum(sorted_weights)
    before_group = np.r_[0.0, cumulative][starts]  # weight of the dates before
    below = cumulative - sorted_weights - before_group[group]
    total = np.add.reduceat(sorted_weights, starts)[group]
    deciles = np.empty(len(order), dtype=int)
    deciles[order] = np.minimum((below * 10 // total).astype(int), 9) + 1
    return deciles


class AucWithWeights:
    """The AUC of one score under many bootstrap weightings: the rows sorted once, each weighting in O(n)."""

    def __init__(self, score: np.ndarray, outcome: np.ndarray):
        order = np.argsort(score, kind="mergesort")
        self.order = order
        self.outcome = outcome[order].astype(bool)
        sorted_score = score[order]
        # rows of equal score form a group: a positive and a negative of one group count one half
        self.group = np.concatenate([[0], np.cumsum(sorted_score[1:] != sorted_score[:-1])])

    def __call__(self, weights: np.ndarray) -> float:
        w = weights[self.order]
        positive = np.where(self.outcome, w, 0.0)
        negative = np.where(self.outcome, 0.0, w)
        groups = self.group[-1] + 1
        pos_by_group = np.bincount(self.group, positive, groups)
        neg_by_group = np.bincount(self.group, negative, groups)
        negatives_below = np.cumsum(neg_by_group) - neg_by_group
        pairs = pos_by_group.sum() * neg_by_group.sum()
        if pairs == 0:
            return float("nan")
        return float((pos_by_group * (negatives_below + 0.5 * neg_by_group)).sum() / pairs)


def top_decile_lift(decile: np.ndarray, outcome: np.ndarray, weights: np.ndarray) -> float:
    top = decile == 10
    overall = (weights * outcome).sum() / weights.sum()
    in_top = (weights[top] * outcome[top]).sum() / max(weights[top].sum(), 1e-12)
    return float(in_top / overall) if overall > 0 else float("nan")


def evaluation(decile: np.ndarray, probability: np.ndarray | None, outcome: np.ndarray, auc: float,
               weights: np.ndarray) -> Evaluation:
    """Lift by decile and, for a probability, calibration by the same deciles (the mean predicted probability against
    the observed rate; bins of equal width would put nearly every lead in the first when few convert), counts and
    rates weighted (the population the sampled rows stand for)."""
    overall = (weights * outcome).sum() / weights.sum()
    lift = []
    for d in range(1, 11):
        rows = decile == d
        n = float(weights[rows].sum())
        rate = float((weights[rows] * outcome[rows]).sum() / n) if n else None
        lift.append({"decile": d, "lead_dates": round(n), "outcomes": round(float((weights[rows] * outcome[rows]).sum())),
                     "rate": rate, "lift": rate / overall if n and overall > 0 else None})
    bins = []
    if probability is not None:
        for b in range(1, 11):
            rows = decile == b
            n = float(weights[rows].sum())
            bins.append({"bin": b, "lower": float(probability[rows].min()) if n else None,
                         "upper": float(probability[rows].max()) if n else None, "lead_dates": round(n),
                         "predicted": float((weights[rows] * probability[rows]).sum() / n) if n else None,
                         "observed": float((weights[rows] * outcome[rows]).sum() / n) if n else None})
    return Evaluation(auc=auc, top_decile_lift=top_decile_lift(decile, outcome, weights), lift_by_decile=lift,
                      calibration_by_bin=bins)


def split_dates(dates: list, settings: TrainingSettings) -> dict[str, list] | None:
    """Fit, calibration and validation dates, or None when the history is too short for an embargoed split."""
    dates = sorted(dates)
    if len(dates) <= settings.validation_dates:
        return None
    validation = dates[-settings.validation_dates:]
    fit_until = pd.Timestamp(validation[0]) - pd.Timedelta(days=settings.horizon_days)
    fit_dates = [d for d in dates if pd.Timestamp(d) <= fit_until]
    calibration = [d for d in dates if pd.Timestamp(d) > fit_until and d < validation[0]]
    if len(fit_dates) < 2 or not calibration:
        return None
    return {"fit": fit_dates, "calibration": calibration, "validation": validation}


def train_and_compare(training: pd.DataFrame, target: str = "opportunity",
                      settings: TrainingSettings = TrainingSettings(), log=print) -> TrainingResult:
    """Train the challenger on the backtest rows, compare it with the rules on the validation dates, decide."""
    started = time.monotonic()
    # one order whatever the reader's (bagging draws rows by position): the same rows give the same model
    if not pd.MultiIndex.from_frame(training[list(IDENTITY)]).is_monotonic_increasing:
        training = training.sort_values(list(IDENTITY), kind="mergesort").reset_index(drop=True)
    outcome = TARGETS[target]
    features = feature_columns(training)
    # leads the rows stand for: a lead sampled at a rate counts 1 / rate (every row of a lead has its weight)
    by_lead = pd.DataFrame({"lead_id": training["lead_id"], "weight": weights_of(training),
                            "positive": training[outcome].astype(bool)}).groupby("lead_id", sort=False)
    per_lead = by_lead.agg(weight=("weight", "first"), positive=("positive", "any"))
    leads = round(float(per_lead["weight"].sum()))
    positives = round(float(per_lead.loc[per_lead["positive"], "weight"].sum()))
    result = TrainingResult(target=target, status="not_trained", reason="", reason_key="", leads=leads,
                            positives=positives, rows=round(float(weights_of(training).sum())), features=features,
                            settings={k: v for k, v in asdict(settings).items()})
    if leads < settings.min_leads or positives < settings.min_positives:
        result.reason_key = "too_little_volume"
        result.reason = (f"not trained: {leads:,} leads of which {positives:,} with {OUTCOME_WORDS[target]} within "
                         f"the horizon; "
                         f"the minimum is {settings.min_leads:,} leads and {settings.min_positives:,} positives "
                         f"(LEADS_MODEL_MIN_LEADS, LEADS_MODEL_MIN_POSITIVES)")
        return result
    split = split_dates(training["as_of_date"].unique().tolist(), settings)
    if split is None:
        result.reason_key = "too_few_dates"
        result.reason = (f"not trained: {training['as_of_date'].nunique()} backtest dates cannot hold fit dates, a "
                         f"{settings.horizon_days}-day embargo and {settings.validation_dates} validation dates")
        return result
    result.dates = {name: [str(pd.Timestamp(d).date()) for d in days] for name, days in split.items()}
    rows = {name: training[training["as_of_date"].isin(days)] for name, days in split.items()}
    log(f"{target}: fitting on {len(rows['fit']):,} rows ({len(split['fit'])} dates), calibrating on "
        f"{len(rows['calibration']):,}, validating on {len(rows['validation']):,} ({len(split['validation'])} dates)")

    model = fit_and_calibrate(rows["fit"], rows["calibration"], outcome, features, settings)
    result.seconds["fit"] = round(time.monotonic() - started, 2)
    validation = rows["validation"].reset_index(drop=True)
    y = validation[outcome].astype(int).to_numpy()
    w = weights_of(validation)
    probability = model.probability(validation)
    tie = pd.util.hash_pandas_object(validation["lead_id"], index=False).to_numpy()
    model_decile = deciles_by_date(validation["as_of_date"], probability, tie, w)
    rules_decile = validation["rules_score_decile"].astype(int).to_numpy()
    rules_score = validation["rules_lead_score"].astype(float).to_numpy()

    auc_model, auc_rules = AucWithWeights(probability, y), AucWithWeights(rules_score, y)
    result.model = evaluation(model_decile, probability, y, auc_model(w), w)
    result.rules = evaluation(rules_decile, None, y, auc_rules(w), w)

    # the lead bootstrap: each lead's rows share one Poisson(1) weight per round
    lead_codes = pd.factorize(validation["lead_id"])[0]
    generator = np.random.default_rng(settings.seed)
    differences = {"auc": [], "top_decile_lift": []}
    for _ in range(settings.bootstrap_rounds):
        weights = generator.poisson(1.0, lead_codes.max() + 1)[lead_codes] * w
        differences["auc"].append(auc_model(weights) - auc_rules(weights))
        differences["top_decile_lift"].append(top_decile_lift(model_decile, y, weights)
                                              - top_decile_lift(rules_decile, y, weights))
    tail = (1 - settings.interval) / 2
    result.metrics = {
        "model_auc": result.model.auc, "rules_auc": result.rules.auc,
        "model_top_decile_lift": result.model.top_decile_lift, "rules_top_decile_lift": result.rules.top_decile_lift,
        "validation_rows": round(float(w.sum())), "validation_positives": round(float((w * y).sum())),
        "sampled_rows": len(training),
        "validation_leads": int(lead_codes.max() + 1), "best_iteration": model.best_iteration,
        "calibration": list(model.calibration), "interval": settings.interval,
    }
    for metric, values in differences.items():
        values = np.array([v for v in values if not math.isnan(v)])
        point = result.metrics[f"model_{metric}"] - result.metrics[f"rules_{metric}"]
        result.metrics[f"{metric}_gain"] = point
        result.metrics[f"{metric}_gain_lower"] = float(np.quantile(values, tail)) if len(values) else float("nan")
        result.metrics[f"{metric}_gain_upper"] = float(np.quantile(values, 1 - tail)) if len(values) else float("nan")
    result.seconds["evaluate"] = round(time.monotonic() - started - result.seconds["fit"], 2)

    beats = all(result.metrics[f"{m}_gain_lower"] > 0 for m in differences)
    m = result.metrics
    comparison = (f"AUC {m['model_auc']:.3f} against the rules' {m['rules_auc']:.3f} (gain {m['auc_gain']:+.3f}, "
                  f"{settings.interval:.0%} interval {m['auc_gain_lower']:+.3f} to {m['auc_gain_upper']:+.3f}); "
                  f"top-decile lift {m['model_top_decile_lift']:.2f} against {m['rules_top_decile_lift']:.2f} "
                  f"(gain {m['top_decile_lift_gain']:+.2f}, interval {m['top_decile_lift_gain_lower']:+.2f} to "
                  f"{m['top_decile_lift_gain_upper']:+.2f}) on the {len(split['validation'])} newest dates")
    if beats:
        result.status, result.reason_key = "in_use", "beats_the_rules"
        result.reason = f"in use: it beats the rules on both counts: {comparison}"
        # refitted one window later: every date but the validation ones, calibrated on those, as many rounds
        deployed_started = time.monotonic()
        del rows["fit"], rows["calibration"]  # the refit's rows are read again below: one copy at a time
        older = training[~training["as_of_date"].isin(split["validation"])]
        result.deployed = fit_and_calibrate(older, rows["validation"], outcome, features, settings,
                                            rounds=model.best_iteration)
        result.seconds["refit"] = round(time.monotonic() - deployed_started, 2)
    else:
        result.status, result.reason_key = "rules_kept", "does_not_beat_the_rules"
        result.reason = f"not used, the rules stay: it does not beat them with confidence: {comparison}"
    log(f"{target}: {result.reason}")
    result.seconds["total"] = round(time.monotonic() - started, 2)
    return result


def top_factors(model: TrainedModel, frame: pd.DataFrame, words: dict[str, str], language: str = "fr",
                count: int = 3) -> list[list[dict[str, Any]]]:
    """The `count` features that moved each lead's probability most, with their signed effect in percentage points.
    The trees' contributions (TreeSHAP) add up to the lead's margin less the expected margin; each is turned into
    points along the secant of the calibrated curve between the two, so that a lead's effects add up to its
    probability less the expected one (a feature's own contribution added alone to the expected margin would say
    +0.3 points for a title that multiplies the odds by four, when few convert). Worded with the seed
    model_feature_words ({value} replaced)."""
    contributions = model.contributions(frame)
    expected, margins = contributions[:, -1], contributions[:, :-1].sum(axis=1) + contributions[:, -1]
    base, probability = calibrated(expected, model.calibration), calibrated(margins, model.calibration)
    gap = margins - expected
    slope = model.calibration[0] * probability * (1 - probability)  # the tangent where the secant is undefined
    secant = np.divide(probability - base, gap, out=slope.copy(), where=np.abs(gap) > 1e-9)
    effects = contributions[:, :-1] * secant[:, None] * 100
    order = np.argsort(-np.abs(effects), axis=1)[:, :count]
    # the words of each chosen (lead, feature), worded column by column: no object matrix of every value
    worded = np.empty(order.shape, dtype=object)
    for j, feature in enumerate(model.features):
        leads, ranks = np.nonzero(order == j)  # a feature is chosen at most once per lead
        if len(leads):
            template = words.get(feature, feature)
            values = frame[feature].to_numpy(dtype=object)[leads]
            worded[leads, ranks] = [template.replace("{value}", value_text(v, language)) for v in values]
    factors = []
    for i in range(len(frame)):
        lead = []
        for rank, j in enumerate(order[i]):
            points = float(effects[i, j])
            if abs(points) < 0.05:
                continue
            lead.append({"feature": model.features[j], "points": round(points, 1), "words": worded[i, rank]})
        factors.append(lead)
    return factors


def value_text(value: Any, language: str) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return "inconnu" if language == "fr" else "unknown"
    if isinstance(value, (bool, np.bool_)):
        return ("oui" if value else "non") if language == "fr" else ("yes" if value else "no")
    if isinstance(value, (int, float, np.integer, np.floating)):
        value = float(value)
        return number(value, 0 if abs(value) >= 10 or value == int(value) else 1, language)
    return str(value)


def factors_text(factors: list[dict[str, Any]], language: str = "fr") -> str:
    """"a demandé une démo : oui (+6,2 pts) ; …" — the factors as a salesperson reads them."""
    parts = [f"{f['words']} ({signed(f['points'], 1, language)} pts)" for f in factors]
    return (" ; " if language == "fr" else "; ").join(parts)
