"""National-scale benchmark of the predictive challenger: training and today's scoring on 1 M leads × 26 dates.

    uv run python -m bench.prediction [--leads 1000000] [--dates 26] [--work bench/data] [--compare]

The rows the model learns from are written by `synthetic_training_set` below straight into a scratch warehouse, in
the shape of dbt's int_backtest__training_set and int_leads__model_features (same columns, same types). They are not
the pipeline's: building the national backtest takes the national warehouse (`make bench-matching`, hours) and is
measured by bench/backtest.py. What is timed here is what prediction/ adds to it: reading the training set (leads
sampled beyond `LEADS_MODEL_MAX_ROWS`), fitting, calibrating, the bootstrap comparison with the rules, the refit when
the model wins, recording it, then scoring today's leads with their top factors. The measured step runs in a child
process so that its peak RSS (VmHWM) is its own. Results go to bench/results/prediction-<date>.json.

The planted truth (`outcome="interaction"`): an opportunity is likelier after a buying burst (pricing, demo) and
after a funding round or a hiring surge, but the signal matters only when the company fits the ideal customer profile
(sector J, K or M with 20 employees or more), and it is likelier with a decision-maker's title, which the rules do
not score. The rules' lead score adds fit, engagement and intent points whatever the combination, so it cannot
express either. With `outcome="independent"` the outcome is drawn at the same rate
whatever the features: nothing can beat the rules, and the model must stay off.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import duckdb

REPO = Path(__file__).resolve().parent.parent
AS_OF = dt.date(2026, 11, 26)


def _uniform(*parts: str) -> str:
    """A reproducible uniform in [0, 1) of the row's keys, as SQL."""
    return f"(hash({', '.join(parts)}) % 1000000) / 1e6"


def synthetic_training_set(con: duckdb.DuckDBPyConnection, leads: int, dates: int, *, outcome: str = "interaction",
                           seed: int = 42, as_of: dt.date = AS_OF) -> None:
    """Write intermediate.int_leads__model_features (every lead at `dates` weekly as-of dates ending 90 days before
    `as_of`, and at `as_of` itself) and intermediate.int_backtest__training_set (the backtest's dates, with the
    outcomes and the rules' score and decile), as dbt would."""
    if outcome not in ("interaction", "independent"):
        raise ValueError(f"outcome must be interaction or independent, not {outcome!r}")
    u = lambda *parts: _uniform("l.i", f"{seed}", *(f"'{p}'" for p in parts))  # noqa: E731
    ud = lambda *parts: _uniform("l.i", "d.d", f"{seed}", *(f"'{p}'" for p in parts))  # noqa: E731
    last_backtest = as_of - dt.timedelta(days=90)
    con.execute("create schema if not exists intermediate")
    con.execute(f"""
        create or replace table intermediate.int_leads__model_features as
        with lead_rows as (
            select i,
                   'lead-' || lpad(i::varchar, 8, '0') as lead_id,
                   case when {u('src')} < 0.6 then 'hubspot' else 'salesforce' end as crm_source,
                   case when {u('type')} < 0.7 then 'contact' else 'lead' end as person_type,
                   {u('matched')} < 0.85 as is_matched_to_registry,
                   ['J', 'K', 'M', 'C', 'G', 'F', 'N', 'Q', 'H', 'I'][1 + floor({u('naf')} * 10)::int]
                       as naf_section_code,
                   ['00', '01', '02', '03', '11', '12', '21', '22', '31', '32'][1 + floor({u('band')} * 10)::int]
                       as headcount_band,
                   ['11', '84', '76', '75', '44', '32', '93', '52', '53', '28'][1 + floor({u('region')} * 10)::int]
                       as region,
                   round(exp(11 + 4 * {u('revenue')}), 0) as revenue_eur,
                   round(1 + 40 * {u('age')} * {u('age2')}, 1) as company_age_years,
                   {u('ceased')} < 0.01 as company_is_ceased,
                   {u('title')} < 0.3 as title_is_decision_role,
                   -- a buying burst in one week of the history, for a third of the leads
                   case when {u('burst')} < 0.35 then floor({u('burst_week')} * {dates + 1})::int end as burst_week,
                   -- a funding round or a hiring surge, for two leads in five
                   case when {u('signal')} < 0.4 then floor({u('signal_week')} * {dates + 1})::int - 3 end
                       as signal_week,
                   {u('signal_kind')} < 0.5 as signal_is_funding
            from range({leads}) as l(i)
        ),
        fit as (
            select *,
                   (naf_section_code in ('J', 'K', 'M'))::int + (headcount_band >= '12')::int as fit_level
            from lead_rows
        ),
        days as (
            select d, case when d = {dates} then date '{as_of}'
                           else date '{last_backtest}' - 7 * ({dates - 1} - d)::int end as as_of_date
            from range({dates + 1}) as w(d)
        ),
        rows as (
            select l.*, d.d, d.as_of_date,
                   l.burst_week is not null and d.d between l.burst_week and l.burst_week + 1 as in_burst,
                   case when l.signal_week is not null and d.d >= l.signal_week
                        then 7 * (d.d - l.signal_week) + floor({ud('signal_day')} * 7)::int end as signal_days_ago,
                   {ud('noise')} as noise
            from fit as l cross join days as d
        )
        select
            as_of_date, lead_id, crm_source, person_type, is_matched_to_registry, naf_section_code, headcount_band,
            region, revenue_eur, company_age_years, company_is_ceased, null::varchar as bodacc_disqualifying_event,
            fit_level * 20 + (region in ('11', '84'))::int * 5 as fit_score,
            (naf_section_code in ('J', 'K', 'M'))::int * 20 as sector_points,
            (headcount_band >= '12')::int * 20 as headcount_points,
            (revenue_eur > 1e6)::int * 5 as revenue_points,
            (region in ('11', '84'))::int * 5 as geography_points,
            case when in_burst then 25 + floor(noise * 10) else floor(noise * 8) end as engagement_score,
            case when in_burst then 15 else floor(noise * 3) end as pricing_points,
            case when in_burst then 5 else floor(noise * 3) end as product_page_points,
            floor(noise * 4) as other_page_points,
            case when in_burst and noise < 0.6 then 10 else 0 end as demo_points,
            case when noise > 0.8 then 3 else 0 end as content_points,
            floor(noise * 2) as email_points,
            case when in_burst then 8 else floor(noise * 4) end as activities_in_window,
            case when in_burst then 1 + floor(noise * 5) else 10 + floor(noise * 80) end as days_since_last_activity,
            in_burst and noise < 0.6 as requested_demo,
            in_burst as has_pricing_burst,
            case when signal_days_ago <= 90 then 15 else 0 end as intent_score,
            case when signal_is_funding and signal_days_ago <= 90 then 15 else 0 end as funding_points,
            case when signal_is_funding then signal_days_ago end as funding_days_ago,
            case when not signal_is_funding and signal_days_ago <= 90 then 15 else 0 end as hiring_points,
            case when not signal_is_funding then signal_days_ago end as hiring_days_ago,
            0 as growth_points, null::int as growth_days_ago, 0 as bodacc_points, null::int as bodacc_days_ago,
            0 as job_change_points, null::int as job_change_days_ago,
            title_is_decision_role, false as took_decision_role,
            fit_level >= 1 as bant_budget, title_is_decision_role as bant_authority, in_burst as bant_need,
            signal_days_ago <= 90 as bant_timing,
            least(100, fit_level * 20 + (region in ('11', '84'))::int * 5
                  + case when in_burst then 25 + floor(noise * 10) else floor(noise * 8) end
                  + case when signal_days_ago <= 90 then 15 else 0 end)::int as lead_score,
            -- the planted truth, kept aside for the outcomes below (not a feature)
            in_burst, coalesce(signal_days_ago <= 90, false) as recent_signal, fit_level, d, i
        from rows
    """)
    truth = ("-6.0 + 2.5 * in_burst::int + 3.5 * (recent_signal and fit_level = 2)::int"
             " + 1.5 * title_is_decision_role::int" if outcome == "interaction" else "-3.2")
    con.execute(f"""
        create or replace table intermediate.int_backtest__training_set as
        select
            f.as_of_date, f.lead_id,
            {_uniform('f.i', 'f.d', str(seed), "'converted'")} < 1 / (1 + exp(-({truth}))) as converted,
            false as won,
            f.lead_score as rules_lead_score,
            ntile(10) over (partition by f.as_of_date order by f.lead_score, hash(f.lead_id)) as rules_score_decile,
            f.* exclude (as_of_date, lead_id, in_burst, recent_signal, fit_level, d, i)
        from intermediate.int_leads__model_features as f
        where f.as_of_date < date '{as_of}'
    """)
    con.execute(f"""update intermediate.int_backtest__training_set
                    set won = converted and {_uniform('hash(lead_id)', 'as_of_date', str(seed), "'won'")} < 0.45""")
    for column in ("in_burst", "recent_signal", "fit_level", "d", "i"):  # the truth, not features
        con.execute(f"alter table intermediate.int_leads__model_features drop column {column}")


def _measure(warehouse: Path, max_rows: int) -> dict:
    """The timed step, in its own process: train both targets, record them, score today's leads."""
    from prediction.conversion_model import TrainingSettings
    from prediction.store import predict_today, train

    from ingestion.settings import load_settings

    report = {}
    # DuckDB capped as the pipeline caps it (LEADS_DUCKDB_MEMORY_LIMIT): its buffers count in the peak RSS
    with duckdb.connect(str(warehouse), config={"memory_limit": load_settings().duckdb_memory_limit}) as con:
        started = time.monotonic()
        recorded = train(con, AS_OF, TrainingSettings(max_training_rows=max_rows),
                         log=lambda m: print(m, file=sys.stderr, flush=True))
        report["train_s"] = round(time.monotonic() - started, 1)
        report["trainings"] = [{"model_id": model_id, "target": r.target, "status": r.status, "rows": r.rows,
                                "leads": r.leads, "positives": r.positives, "seconds": r.seconds,
                                **{k: r.metrics.get(k) for k in ("model_auc", "rules_auc", "auc_gain_lower",
                                                                 "model_top_decile_lift", "rules_top_decile_lift",
                                                                 "top_decile_lift_gain_lower", "sampled_rows")}}
                               for model_id, r in recorded]
        started = time.monotonic()
        done = predict_today(con, AS_OF, "fr", log=lambda m: print(m, file=sys.stderr, flush=True))
        report["predict_s"] = round(time.monotonic() - started, 1)
        report["leads_scored"] = done["leads_scored"]
    report["peak_rss_mb"] = peak_rss_mb()
    return report


def peak_rss_mb() -> int:
    """This process's peak resident memory since it started (VmHWM). Not getrusage's ru_maxrss: Linux carries that
    across fork and exec, so a child started by the generating process would report the parent's peak."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024)
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)


def compare_learners(con, settings, log=print) -> dict:
    """LightGBM against scikit-learn's HistGradientBoostingClassifier on the same rows and split (fit dates, early
    stopping on the calibration dates, AUC on the validation dates): the measurement the choice of LightGBM rests on."""
    import numpy as np
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.metrics import roc_auc_score

    from prediction.conversion_model import (category_levels, encode, feature_columns, fit_and_calibrate,
                                             split_dates, weights_of)
    from prediction.store import training_set

    rows = training_set(con, settings.max_training_rows, log=log)
    features = feature_columns(rows)
    split = split_dates(rows["as_of_date"].unique().tolist(), settings)
    parts = {name: rows[rows["as_of_date"].isin(days)] for name, days in split.items()}
    y = {name: part["converted"].astype(int).to_numpy() for name, part in parts.items()}
    report = {"rows": len(rows), "fit_rows": len(parts["fit"])}
    started = time.monotonic()
    model = fit_and_calibrate(parts["fit"], parts["calibration"], "converted", features, settings)
    report["lightgbm"] = {"fit_s": round(time.monotonic() - started, 1), "rounds": model.best_iteration,
                          "auc": round(float(roc_auc_score(y["validation"], model.probability(parts["validation"]),
                                                           sample_weight=weights_of(parts["validation"]))), 4)}
    categories = category_levels(parts["fit"], features)
    # a column with no value at all is left out: scikit-learn's binning fails on it (LightGBM ignores it), and a
    # feature empty on the fit dates is common (a team with no BODACC event among its leads)
    usable = [f for f in features if parts["fit"][f].notna().any()]
    X = {name: encode(part, usable, categories) for name, part in parts.items()}
    started = time.monotonic()
    hgb = HistGradientBoostingClassifier(learning_rate=0.05, max_leaf_nodes=15, min_samples_leaf=40,
                                         l2_regularization=1.0, max_iter=settings.max_rounds,
                                         categorical_features="from_dtype", early_stopping=True,
                                         n_iter_no_change=settings.early_stopping_rounds, random_state=settings.seed)
    hgb.fit(X["fit"], y["fit"], sample_weight=weights_of(parts["fit"]), X_val=X["calibration"],
            y_val=y["calibration"], sample_weight_val=weights_of(parts["calibration"]))
    report["hist_gradient_boosting"] = {
        "fit_s": round(time.monotonic() - started, 1), "rounds": int(hgb.n_iter_),
        "auc": round(float(roc_auc_score(y["validation"], hgb.predict_proba(X["validation"])[:, 1],
                                         sample_weight=weights_of(parts["validation"]))), 4)}
    log(f"LightGBM {report['lightgbm']}; HistGradientBoosting {report['hist_gradient_boosting']}")
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--leads", type=int, default=1_000_000)
    parser.add_argument("--dates", type=int, default=26)
    parser.add_argument("--outcome", choices=["interaction", "independent"], default="interaction")
    parser.add_argument("--max-rows", type=int, default=None, help="rows read for training (LEADS_MODEL_MAX_ROWS)")
    parser.add_argument("--work", type=Path, default=REPO / "bench" / "data")
    parser.add_argument("--compare", action="store_true",
                        help="also fit scikit-learn's HistGradientBoostingClassifier on the same split (its own process)")
    parser.add_argument("--measure", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--measure-learners", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    from ingestion.settings import load_settings

    max_rows = args.max_rows or load_settings().model_max_rows
    if args.measure:
        print(json.dumps(_measure(args.measure, max_rows)))
        return 0
    if args.measure_learners:
        from prediction.conversion_model import TrainingSettings

        with duckdb.connect(str(args.measure_learners), read_only=True) as con:
            report = compare_learners(con, TrainingSettings(max_training_rows=max_rows),
                                      log=lambda m: print(m, file=sys.stderr, flush=True))
        print(json.dumps(report))
        return 0
    from bench.registry import RESULTS

    work = args.work.resolve()
    work.mkdir(parents=True, exist_ok=True)
    warehouse = work / "prediction.duckdb"
    warehouse.unlink(missing_ok=True)
    # the seed the factors are worded from, as dbt seeds it
    words = REPO / "dbt_project" / "seeds" / "scoring" / "model_feature_words.csv"
    report = {"date": dt.datetime.now().isoformat(timespec="seconds"), "machine": f"{os.cpu_count()} cores",
              "leads": args.leads, "dates": args.dates, "outcome": args.outcome, "max_training_rows": max_rows}
    started = time.monotonic()
    with duckdb.connect(str(warehouse), config={"memory_limit": "8GB"}) as con:
        synthetic_training_set(con, args.leads, args.dates, outcome=args.outcome)
        con.execute("create schema if not exists scoring")
        con.execute(f"create table scoring.model_feature_words as select * from read_csv('{words}', header = true)")
        report["training_rows"] = con.execute("select count(*) from intermediate.int_backtest__training_set"
                                              ).fetchone()[0]
    report["generate_s"] = round(time.monotonic() - started, 1)
    print(f"generated {report['training_rows']:,} training rows in {report['generate_s']} s", file=sys.stderr)
    proc = subprocess.run([sys.executable, "-m", "bench.prediction", "--measure", str(warehouse),
                           "--max-rows", str(max_rows)], cwd=REPO, stdout=subprocess.PIPE, text=True, check=True)
    report.update(json.loads(proc.stdout.strip().splitlines()[-1]))
    if args.compare:
        proc = subprocess.run([sys.executable, "-m", "bench.prediction", "--measure-learners", str(warehouse),
                               "--max-rows", str(max_rows)], cwd=REPO, stdout=subprocess.PIPE, text=True, check=True)
        report["learners"] = json.loads(proc.stdout.strip().splitlines()[-1])
    total = report["train_s"] + report["predict_s"]
    report["rows_per_s"] = round(report["training_rows"] / max(report["train_s"], 1e-9))
    report["target_met"] = total < 300 and report["peak_rss_mb"] < 8192
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"prediction-{dt.date.today().isoformat()}.json"
    out.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    print(json.dumps(report, indent=2, ensure_ascii=False))
    print(f"training {report['train_s']} s, scoring {report['predict_s']} s ({report['leads_scored']:,} leads), peak "
          f"RSS {report['peak_rss_mb']} MB — written to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
