"""The page a sales manager acts on, written into LEADS_PUBLISH_DIR/report/ from the published marts: who to contact
this week (contactable SQL and MQL leads by score, with their reasons, company and CRM owner), then the funnel and
the backtest — does qualification work? — with their rates, sample sizes and 95 % intervals, the funnel, the lift of
the lead score by decile and the days to SQL drawn as PNG charts; then the predictive model against the lead score
(in use or not, and why; its lift and calibration by decile). In French by default, English by LEADS_LANGUAGE.

Every file is written aside and renamed into place; the HTML page embeds its charts, so it is whole on its own (it can
be mailed or dropped in a shared drive).
"""

from __future__ import annotations

import base64
import datetime as dt
import html
import io
import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from publication.publish import DATABASE_NAME
from publication.wording import MIN_SAMPLE, Rate, month_year, number, percent, say, signed
from ingestion.settings import Settings, dbt_vars
from ingestion.warehouse import Log

logger = logging.getLogger(__name__)

REPORT_DIR = "report"
FUNNEL_STAGES = [("leads", "Leads"), ("mqls", "MQL"), ("sqls", "SQL"), ("opportunities", "Opportunity"),
                 ("won", "Won")]
PATH_LABELS = {"signal_led": "Signal-led", "engagement_only": "Engagement only"}
BLUE, GREY, ORANGE = "#1f5fa8", "#9aa5b1", "#e07b24"
# The call list shows this many leads; the others are in marts.qualified_leads (the page says how many).
CALL_LIST_LIMIT = 50


class ReportError(RuntimeError):
    """The publication lacks what the report needs; the last report stays in place."""


@dataclass
class Report:
    directory: Path
    charts: dict[str, Path]
    page: Path
    summary: dict
    headlines: list[str]  # in the report's language (LEADS_LANGUAGE)
    headlines_en: list[str]  # for the Dagster UI and the logs, which stay in English


def _png(fig: Figure) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110, bbox_inches="tight", metadata={"Software": None})
    return buffer.getvalue()


def funnel_totals(con: duckdb.DuckDBPyConnection) -> list[int]:
    """Leads of every monthly cohort that ever reached each stage (segment all)."""
    return list(con.execute(
        "select " + ", ".join(f"coalesce(sum({column}), 0)" for column, _ in FUNNEL_STAGES)
        + " from funnel where segment_type = 'all'").fetchone())


def funnel_chart(con: duckdb.DuckDBPyConnection, language: str = "fr") -> bytes:
    """Leads of every monthly cohort through MQL, SQL, opportunity and won, with the rate from each stage (when the
    stage before holds enough leads to say one)."""
    totals = funnel_totals(con)
    labels = [say(label, language) for _, label in FUNNEL_STAGES]
    fig = Figure(figsize=(7.5, 3.6))
    ax = fig.subplots()
    ax.barh(labels[::-1], totals[::-1], color=BLUE)
    for index, value in enumerate(totals):
        rate = Rate(value, totals[index - 1]) if index else None
        said = (f"  ({percent(rate.share, 0, language)} {say('of', language)} {labels[index - 1]})"
                if rate is not None and rate.enough else "")
        ax.text(value, len(labels) - 1 - index, f" {number(value, 0, language)}{said}", va="center", fontsize=9)
    ax.set_xlim(0, max(totals) * 1.45 or 1)
    ax.xaxis.set_major_formatter(lambda value, _: number(value, 0, language))
    ax.set_xlabel(say("leads who ever reached the stage", language))
    ax.set_title(say("Funnel: every cohort of new leads", language))
    ax.spines[["top", "right"]].set_visible(False)
    return _png(fig)


def lift_chart(con: duckdb.DuckDBPyConnection, language: str = "fr") -> bytes:
    """Lift of each lead-score decile (backtest) against what a random order of the same leads finds."""
    rows = con.execute("select decile, coalesce(lift, 0), coalesce(random_lift, 0) from backtest_lift "
                       "order by decile").fetchall()
    deciles = [r[0] for r in rows]
    fig = Figure(figsize=(7.5, 3.6))
    ax = fig.subplots()
    ax.bar(deciles, [r[1] for r in rows], color=BLUE, label=say("lead score", language))
    ax.plot(deciles, [r[2] for r in rows], "o--", color=GREY, label=say("random order", language))
    ax.axhline(1, color="black", linewidth=0.8)
    ax.set_xticks(deciles)
    ax.set_xlabel(say("lead-score decile (10 = highest scores)", language))
    ax.set_ylabel(say("lift (× average opportunity rate)", language))
    ax.yaxis.set_major_formatter(lambda value, _: number(value, 1, language))  # a decimal comma in French
    ax.set_title(say("Backtest: opportunity rate by lead-score decile", language))
    ax.legend(frameon=False)
    ax.spines[["top", "right"]].set_visible(False)
    return _png(fig)


def time_to_sql_chart(con: duckdb.DuckDBPyConnection, language: str = "fr") -> bytes:
    """Days from a lead's first engagement or signal to SQL, signal-led against engagement-only (backtest)."""
    rows = con.execute("select qualification_path, days_to_sql from backtest_qualified_leads "
                       "where days_to_sql is not null").fetchall()
    fig = Figure(figsize=(7.5, 3.6))
    ax = fig.subplots()
    longest = max((days for _, days in rows), default=0)
    bins = list(range(0, int(longest) + 15, 7))
    for (path, label), colour in zip(PATH_LABELS.items(), (ORANGE, BLUE)):
        days = [d for p, d in rows if p == path]
        if days:
            ax.hist(days, bins=bins, alpha=0.65, color=colour,
                    label=f"{say(label, language)} ({number(len(days), 0, language)} {say('leads', language)})")
    if not rows:
        ax.text(0.5, 0.5, say("no lead reached SQL during the backtest", language), ha="center",
                transform=ax.transAxes)
    ax.set_xlabel(say("days from first engagement or signal to SQL (weekly as-of dates)", language))
    ax.set_ylabel(say("leads", language))
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))  # whole leads
    ax.yaxis.set_major_formatter(lambda value, _: number(value, 0, language))
    ax.set_title(say("Backtest: time to SQL", language))
    ax.legend(frameon=False)
    ax.spines[["top", "right"]].set_visible(False)
    return _png(fig)


def _published(con: duckdb.DuckDBPyConnection, table: str) -> bool:
    """Whether the publication holds the table (the backtest's marts appear after its first weekly run)."""
    return bool(con.execute("select count(*) from information_schema.tables where table_name = ?",
                            [table]).fetchone()[0])


def latest_model(con: duckdb.DuckDBPyConnection, target: str = "opportunity") -> dict | None:
    """The latest training of the target as published (model_evaluation), its metrics by (scorer, metric, bin);
    None before the first weekly training."""
    if not _published(con, "model_evaluation"):
        return None
    rows = con.execute("select * from model_evaluation where target = ? order by scorer, metric, bin",
                       [target]).df()
    if rows.empty:
        return None
    first = rows.iloc[0]
    measured = rows.dropna(subset=["metric"])
    return {"status": first["status"], "reason_key": first["reason_key"], "leads": int(first["leads"]),
            "positives": int(first["positives"]),
            "validation_dates": len(json.loads(first["validation_dates"] or "[]")),
            "metrics": {(r.scorer, r.metric, None if pd.isna(r.bin) else int(r.bin)): r
                        for r in measured.itertuples()}}


def model_chart(con: duckdb.DuckDBPyConnection, language: str = "fr") -> bytes | None:
    """The model against the rules on the newest backtest dates: lift by decile of each, and the model's predicted
    probability against the observed rate by decile."""
    model = latest_model(con)
    if model is None or not model["metrics"]:
        return None
    m = model["metrics"]
    deciles = list(range(1, 11))
    fig = Figure(figsize=(9, 3.6))
    lift_ax, calibration_ax = fig.subplots(1, 2, gridspec_kw={"width_ratios": [3, 2]})
    width = 0.4
    for offset, scorer, colour in ((-width / 2, "rules", GREY), (width / 2, "model", BLUE)):
        lifts = [getattr(m.get((scorer, "lift", d)), "value", None) for d in deciles]
        lift_ax.bar([d + offset for d in deciles], [v if v == v and v is not None else 0 for v in lifts], width,
                    color=colour, label=say("predictive model" if scorer == "model" else "lead score (rules)",
                                            language))
    lift_ax.axhline(1, color="black", linewidth=0.8)
    lift_ax.set_xticks(deciles)
    lift_ax.set_xlabel(say("decile (10 = highest scores)", language))
    lift_ax.set_ylabel(say("lift (× average opportunity rate)", language))
    lift_ax.yaxis.set_major_formatter(lambda value, _: number(value, 1, language))
    lift_ax.set_title(say("Opportunity rate by decile", language))
    lift_ax.legend(frameon=False)
    bins = [m[("model", "calibration", d)] for d in deciles if ("model", "calibration", d) in m]
    predicted = [100 * b.predicted for b in bins if b.predicted == b.predicted]
    observed = [100 * b.observed for b in bins if b.predicted == b.predicted]
    top = max(predicted + observed + [1.0]) * 1.1
    calibration_ax.plot([0, top], [0, top], "--", color=GREY, linewidth=0.8)
    calibration_ax.plot(predicted, observed, "o-", color=ORANGE)
    calibration_ax.set_xlabel(say("predicted probability (%)", language))
    calibration_ax.set_ylabel(say("observed rate (%)", language))
    for axis in (calibration_ax.xaxis, calibration_ax.yaxis):
        axis.set_major_formatter(lambda value, _: number(value, 0 if top > 10 else 1, language))
    calibration_ax.set_title(say("Calibration, by decile", language))
    for ax in (lift_ax, calibration_ax):
        ax.spines[["top", "right"]].set_visible(False)
    fig.tight_layout()
    return _png(fig)


def model_lines(con: duckdb.DuckDBPyConnection, settings: Settings, language: str = "fr") -> list[str]:
    """The predictive model's standing in a sales manager's words: not trained and why, or its figures against the
    rules' and whether it scores today's leads."""
    model = latest_model(con)
    if model is None:
        return [say("The predictive model has not been trained yet: the weekly_backtest job (Mondays) trains it on the "
                    "backtest's rows.", language)]
    if model["status"] == "not_trained":
        if model["reason_key"] == "too_little_volume":
            return [say("The predictive model is not trained: {leads} leads, of which {positives} got an opportunity "
                        "within the horizon; it takes at least {min_leads} leads and {min_positives} of them "
                        "(LEADS_MODEL_MIN_LEADS, LEADS_MODEL_MIN_POSITIVES). The lead score alone qualifies the "
                        "leads.", language, leads=number(model["leads"], 0, language),
                        positives=number(model["positives"], 0, language),
                        min_leads=number(settings.model_min_leads, 0, language),
                        min_positives=number(settings.model_min_positives, 0, language))]
        return [say("The predictive model is not trained: the backtest's history is too short for weeks to learn "
                    "from, a 90-day gap and the newest weeks to check it on. The lead score alone qualifies the "
                    "leads.", language)]
    m = model["metrics"]

    def value(scorer: str, metric: str) -> float:
        return m[(scorer, metric, None)].value

    auc, lift = m[("model", "auc", None)], m[("model", "top_decile_lift", None)]
    figures = say("On the backtest's {dates} newest weeks, which it did not learn from, it ranks an opportunity above "
                  "a lead without one {model_auc} of the time (the lead score: {rules_auc}; gain interval {auc_lower} "
                  "to {auc_upper} points); its top decile gets an opportunity {model_lift}× as often as the average "
                  "lead (the lead score's: {rules_lift}×; gain interval {lift_lower} to {lift_upper}).", language,
                  dates=model["validation_dates"], model_auc=percent(auc.value, 1, language),
                  rules_auc=percent(value("rules", "auc"), 1, language),
                  auc_lower=_signed(100 * auc.lower, language), auc_upper=_signed(100 * auc.upper, language),
                  model_lift=number(lift.value, 1, language),
                  rules_lift=number(value("rules", "top_decile_lift"), 1, language),
                  lift_lower=_signed(lift.lower, language), lift_upper=_signed(lift.upper, language))
    if model["status"] == "in_use":
        verdict = say("The predictive model is in use: it beats the lead score on both counts, with confidence. "
                      "qualified_leads carries its probability of an opportunity (predicted_conversion) and the three "
                      "facts that weigh most (predicted_factors); the status still comes from the rules.", language)
    else:
        verdict = say("The predictive model is not used: it does not beat the lead score with confidence, so the "
                      "rules alone score the leads.", language)
    return [verdict, figures]


def _signed(value: float, language: str) -> str:
    return signed(value, 1 if abs(value) < 10 else 0, language)


CHARTS = {"funnel": funnel_chart, "lift_by_decile": lift_chart, "time_to_sql": time_to_sql_chart,
          "model_vs_rules": model_chart}
BACKTEST_CHARTS = {"lift_by_decile", "time_to_sql", "model_vs_rules"}
NO_BACKTEST = "No backtest yet: the weekly_backtest job (Mondays) or `make run` replays the scoring against the deals."


def _summary_row(con: duckdb.DuckDBPyConnection) -> dict | None:
    if not _published(con, "backtest_summary"):
        return None
    row = con.execute("select * from backtest_summary").fetchone()
    return None if row is None else dict(zip([d[0] for d in con.description], row))


def backtest_summary(con: duckdb.DuckDBPyConnection) -> dict | None:
    """The backtest in one row; None before the first backtest has been published, or when it scored too few
    (lead, date) pairs to say anything (var backtest_min_lead_dates: see too_little_history)."""
    row = _summary_row(con)
    if row is None or (row.get("lead_dates") or 0) < int(dbt_vars()["backtest_min_lead_dates"]):
        return None
    return row


def too_little_history(con: duckdb.DuckDBPyConnection, as_of: dt.date, language: str = "fr") -> str | None:
    """Why a published backtest says nothing, in a sales manager's words; None when it does, or has not run."""
    row = _summary_row(con)
    settings = dbt_vars()
    minimum = int(settings["backtest_min_lead_dates"])
    if row is None or (row.get("lead_dates") or 0) >= minimum:
        return None
    weeks, horizon = int(settings["backtest_weeks"]), int(settings["backtest_horizon_days"])
    last = as_of - dt.timedelta(days=horizon)
    first = last - dt.timedelta(days=7 * (weeks - 1))
    oldest = con.execute("select min(cohort_month) from funnel").fetchone()[0]
    since = (say(" (the oldest lead in the CRM was created in {month})", language,
                 month=month_year(oldest, language)) if isinstance(oldest, dt.date) else "")
    return say("No backtest yet: the CRM has too little history. The backtest replays the scoring every week from "
               "{first} to {last} (the last date {horizon} days before {as_of}, so that what followed each date is "
               "known) for the leads already in the CRM then whose account had no deal yet: it found {pairs} such "
               "(lead, date) pairs{since}, and needs at least {minimum} to compare lead-score deciles. It will say "
               "more as the CRM's history grows; the settings are backtest_weeks, backtest_horizon_days and "
               "backtest_min_lead_dates in dbt_project/dbt_project.yml.", language, first=first, last=last,
               horizon=horizon, as_of=as_of, pairs=number(row.get("lead_dates") or 0, 0, language), since=since,
               minimum=number(minimum, 0, language))


def _accuracy(con: duckdb.DuckDBPyConnection, flagged_as: str) -> tuple[Rate, Rate, Rate]:
    """Precision, recall and base rate of a backtest flag against an opportunity, as counts."""
    flagged, happened, both, pairs = con.execute(
        "select flagged, happened, flagged_and_happened, lead_dates from backtest_status_accuracy "
        "where flagged_as = ? and outcome = 'opportunity'", [flagged_as]).fetchone() or (0, 0, 0, 0)
    return Rate(both or 0, flagged or 0), Rate(both or 0, happened or 0), Rate(happened or 0, pairs or 0)


def headlines(con: duckdb.DuckDBPyConnection | None, summary: dict | None, language: str = "fr",
              no_backtest: str | None = None) -> list[str]:
    """The backtest's findings in a sales manager's words, each rate with its sample size and 95 % interval (or
    "too few to conclude"); without a backtest, why there is none (`no_backtest`, or NO_BACKTEST)."""
    if summary is None or con is None:
        return [no_backtest or say(NO_BACKTEST, language)]
    s = summary

    def days(value) -> str:
        return number(value, 0, language)

    top_pairs, top_opportunities = con.execute(
        "select coalesce(lead_dates, 0), coalesce(opportunities, 0) from backtest_lift where decile = 10"
    ).fetchone() or (0, 0)
    mql, mql_recall, base = _accuracy(con, "mql_or_sql")
    sql, sql_recall, _ = _accuracy(con, "sql")
    won, flagged = con.execute("select count(*), count(*) filter (where flagged_before_sales) "
                               "from backtest_won_accounts").fetchone()
    paths = {path: Rate(opportunities or 0, leads or 0) for path, leads, opportunities in con.execute(
        "select qualification_path, qualified_leads, opportunities from backtest_qualification_paths").fetchall()}
    empty = Rate(0, 0)
    return [
        say("Replayed every week from {first} to {last} ({dates} dates, {leads} leads), each date scored only with "
            "what was known on it; an outcome is an opportunity opened within {horizon} days.", language,
            first=s["first_as_of_date"], last=s["last_as_of_date"], dates=number(s["as_of_dates"], 0, language),
            leads=number(s["leads"], 0, language), horizon=s["horizon_days"]),
        say("Leads in the top lead-score decile got an opportunity {lift}× as often as the average lead (a random "
            "order of the same leads: {random}×); their opportunity rate: {rate}.", language,
            lift=number(s["top_decile_lift"], 1, language), random=number(s["top_decile_random_lift"], 1, language),
            rate=Rate(top_opportunities, top_pairs).text(language)),
        say("Opportunity rate of leads flagged MQL or better: {mql}; flagged SQL: {sql}; of the average lead: "
            "{base}. Share of the "
            "lead-dates followed by an opportunity that were flagged (recall): MQL {mql_recall}; SQL {sql_recall}.",
            language, mql=mql.text(language), mql_recall=mql_recall.text(language),
            sql=sql.text(language), sql_recall=sql_recall.text(language), base=base.text(language)),
        say("Accounts won: {won}; flagged MQL or SQL before sales opened the opportunity: {flagged}, a median of "
            "{days} days earlier.", language, won=number(won, 0, language),
            flagged=Rate(flagged, won).text(language), days=days(s["median_days_flagged_earlier"])),
        say("Conversion to an opportunity of signal-led qualified leads: {signal}; of engagement-only ones: "
            "{engagement}. Median days from first engagement or signal to SQL: {signal_days} against "
            "{engagement_days}.", language,
            signal=paths.get("signal_led", empty).text(language),
            engagement=paths.get("engagement_only", empty).text(language),
            signal_days=days(s["signal_led_median_days_to_sql"]),
            engagement_days=days(s["engagement_only_median_days_to_sql"])),
    ]


def _esc(text) -> str:
    """Text for an HTML text node: <, > and & escaped; quotes kept as they are (l'entonnoir reads as written)."""
    return html.escape(str(text), quote=False)


def _table(head: list[str], rows: list[list[str]], css: str = "") -> str:
    """An HTML table of texts already formatted (plain labels, numbers in the report's language)."""
    cells = "".join(f"<th>{_esc(h)}</th>" for h in head)
    body = "".join("<tr>" + "".join(f"<td>{v}</td>" for v in row) + "</tr>" for row in rows)
    return f'<table class="{css}"><thead><tr>{cells}</tr></thead><tbody>{body}</tbody></table>'


def call_list(con: duckdb.DuckDBPyConnection, limit: int = CALL_LIST_LIMIT) -> tuple[int, list[dict]]:
    """Who to contact this week: contactable SQL and MQL leads, highest lead score first (ties by lead id, so the
    order is stable), with their reasons, company and CRM owner; the count of all such leads, and the first `limit`."""
    where = "where contactable and status in ('sql', 'mql')"
    total = con.execute(f"select count(*) from qualified_leads {where}").fetchone()[0]
    rows = con.execute(f"""
        select lead_id, trim(concat_ws(' ', first_name, last_name)) as name, email, job_title,
               coalesce(company_name, registered_name) as company, status, lead_score, owner_name, score_reasons,
               do_not_call
        from qualified_leads {where}
        order by lead_score desc, lead_id
        limit {int(limit)}""").fetchall()
    return total, [dict(zip([d[0] for d in con.description], row)) for row in rows]


def _call_list_section(con: duckdb.DuckDBPyConnection, language: str) -> str:
    total, leads = call_list(con)
    title = f"<h2>{_esc(say('Who to contact this week', language))}</h2>"
    if not leads:
        return title + f"<p>{_esc(say('No contactable SQL or MQL lead today.', language))}</p>"
    intro = say("Contactable SQL and MQL leads, highest lead score first: {count}.", language,
                count=number(total, 0, language))
    if total > len(leads):
        intro += " " + say("The first {shown} are listed; the others are in marts.qualified_leads (status sql or "
                           "mql, contactable).", language, shown=number(len(leads), 0, language))
    rows = []
    for lead in leads:
        who = _esc(lead["name"] or lead["email"] or lead["lead_id"])
        # e-mail is allowed (contactable); the phone may not be
        do_not_call = say("do not call", language) if lead["do_not_call"] else None
        details = " · ".join(_esc(v) for v in (lead["job_title"], lead["email"], do_not_call) if v)
        reasons = "<br>".join(_esc(part) for part in (lead["score_reasons"] or "").split(" | "))
        rows.append([f"{who}<br><small>{details}</small>", _esc(lead["company"] or ""),
                     lead["status"].upper(), str(lead["lead_score"]),
                     _esc(lead["owner_name"] or say("unassigned", language)), f"<small>{reasons}</small>"])
    head = [say(h, language) for h in ("Lead", "Company", "Status", "Lead score", "CRM owner", "Why")]
    return title + f"<p>{_esc(intro)}</p>" + _table(head, rows, "calls")


def _funnel_section(con: duckdb.DuckDBPyConnection, language: str) -> str:
    totals = funnel_totals(con)
    today = dict(con.execute("select status, count(*) from qualified_leads group by status").fetchall())
    # today's statuses add up to every lead: lead, MQL, SQL, then disqualified (opportunity and won are not statuses)
    current = [today.get("lead", 0), today.get("mql", 0), today.get("sql", 0), None, None]
    rows = []
    for index, ((_, label), reached) in enumerate(zip(FUNNEL_STAGES, totals)):
        step = Rate(reached, totals[index - 1]).text(language) if index else "—"
        rows.append([_esc(say(label, language)), number(reached, 0, language), _esc(step),
                     "—" if current[index] is None else number(current[index], 0, language)])
    rows.append([_esc(say("Disqualified", language)), "—", "—", number(today.get("disqualified", 0), 0,
                                                                               language)])
    head = [say(h, language) for h in ("Stage", "Leads who ever reached it", "From the previous stage",
                                       "Leads at this status today")]
    explained = say("The funnel counts every lead that ever reached a stage (the first day it did, from the status "
                    "history), whatever its status today: a lead that was MQL in March and became SQL, or was "
                    "disqualified since, counts as having reached MQL. The last column is today's status of the "
                    "same leads (marts.qualified_leads), which is why it holds far fewer MQLs: most have moved on "
                    "or fallen back since (today's lead, MQL, SQL and disqualified add up to every lead). An "
                    "opportunity is a deal opened on the person or their CRM company; won, a deal won.", language)
    return (f"<h2>{_esc(say('The funnel', language))}</h2><p>{_esc(explained)}</p>"
            + _table(head, rows))


def _backtest_tables(con: duckdb.DuckDBPyConnection, language: str) -> str:
    lift = []
    for decile, pairs, opportunities, value, random in con.execute(
            "select decile, coalesce(lead_dates, 0), coalesce(opportunities, 0), lift, random_lift "
            "from backtest_lift order by decile desc").fetchall():
        rate = Rate(opportunities, pairs)
        lift.append([str(decile), number(pairs, 0, language), number(opportunities, 0, language),
                     _esc(rate.text(language)),
                     number(value, 1, language) if rate.enough else "—", number(random, 1, language)])
    paths = []
    for path, leads, opportunities, reached, days in con.execute(
            "select qualification_path, coalesce(qualified_leads, 0), coalesce(opportunities, 0), "
            "coalesce(reached_sql, 0), median_days_to_sql from backtest_qualification_paths "
            "order by qualification_path desc").fetchall():
        paths.append([_esc(say(PATH_LABELS.get(path, path), language) if path in PATH_LABELS else path),
                      number(leads, 0, language), _esc(Rate(opportunities, leads).text(language)),
                      number(reached, 0, language), number(days, 0, language)])
    return (_table([say(h, language) for h in ("Lead-score decile (10 = highest scores)", "Lead × date pairs",
                                                "Opportunities", "Opportunity rate", "Lift (× average)",
                                                "Random order's lift")], lift)
            + _table([say(h, language) for h in ("Qualification path", "Qualified leads",
                                                  "Conversion to opportunity", "Reached SQL", "Median days to SQL")],
                     paths))


def html_page(con: duckdb.DuckDBPyConnection, charts: dict[str, bytes], lines: list[str], as_of: str,
              language: str = "fr", model: list[str] = ()) -> str:
    """Who to contact this week first; then the funnel, its definitions and its chart; then the backtest's findings,
    charts and tables; then the predictive model against the rules."""

    def figure(name: str) -> str:
        if name not in charts:
            return ""
        return (f'<figure><img alt="{name}" src="data:image/png;base64,'
                f'{base64.b64encode(charts[name]).decode()}"></figure>')

    findings = "".join(f"<li>{_esc(line)}</li>" for line in lines)
    backtest = (f"<h2>{_esc(say('Does the scoring find the buyers? The backtest', language))}</h2>"
                f"<ul>{findings}</ul>" + figure("lift_by_decile") + figure("time_to_sql"))
    if "lift_by_decile" in charts:
        backtest += _backtest_tables(con, language)
    if model:
        backtest += (f"<h2>{_esc(say('A predictive model against the lead score', language))}</h2>"
                     + "".join(f"<p>{_esc(line)}</p>" for line in model) + figure("model_vs_rules"))
    title = say("Lead qualification", language)
    note = say("Rates come with their sample size n and a 95 % confidence interval (Wilson); under {minimum} leads "
               "a rate says too little and the page says so.", language, minimum=MIN_SAMPLE)
    return f"""<!doctype html>
<html lang="{language}"><head><meta charset="utf-8"><title>{_esc(title)} — {_esc(as_of)}</title>
<style>body{{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;color:#1d2733;line-height:1.45}}
table{{border-collapse:collapse;margin:1em 0;font-size:.9em}}td,th{{border:1px solid #d5dbe1;padding:.3em .6em;
text-align:right;vertical-align:top}}th{{background:#eef2f6}}table.calls td{{text-align:left}}img{{max-width:100%}}
figure{{margin:1.5em 0}}small{{color:#4a5866}}</style></head>
<body><h1>{_esc(title)}</h1>
<p>{_esc(say("Scores and statuses as of {as_of}, checked against the deals that followed.", language,
                    as_of=as_of))}</p>
{_call_list_section(con, language)}
{_funnel_section(con, language)}{figure("funnel")}
<p><small>{_esc(note)}</small></p>
{backtest}
</body></html>
"""


def _write_aside(target: Path, content: bytes) -> None:
    staged = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    staged.write_bytes(content)
    os.replace(staged, target)


def write_report(settings: Settings, log: Log = logger.info) -> Report:
    """Draw the charts and the page from the publication in LEADS_PUBLISH_DIR and write them into report/."""
    database = settings.publish_dir / DATABASE_NAME
    if not database.exists():
        raise ReportError(f"{database} does not exist: materialise published/leads first")
    con = duckdb.connect(":memory:")
    try:
        con.execute(f"attach '{database}' as published (read_only)")
        con.execute("use published")
        summary = backtest_summary(con)
        as_of_date = con.execute("select max(as_of) from qualified_leads").fetchone()[0] or settings.as_of
        as_of = as_of_date.isoformat() if isinstance(as_of_date, dt.date) else str(as_of_date)
        language = settings.language
        charts = {name: draw(con, language) for name, draw in CHARTS.items()
                  if summary or name not in BACKTEST_CHARTS}
        charts = {name: png for name, png in charts.items() if png is not None}  # no model chart before a training
        model = model_lines(con, settings, language)
        reason_en = too_little_history(con, as_of_date, "en") if summary is None else None
        if reason_en:
            log(reason_en)  # the logs stay in English
        lines = headlines(con, summary, language, too_little_history(con, as_of_date, language) if reason_en else None)
        lines_en = headlines(con, summary, "en", reason_en)
        page = html_page(con, charts, lines, as_of, language, model)
    finally:
        con.close()
    directory = settings.publish_dir / REPORT_DIR
    directory.mkdir(parents=True, exist_ok=True)
    paths = {}
    for name, png in charts.items():
        paths[name] = directory / f"{name}.png"
        _write_aside(paths[name], png)
    index = directory / "index.html"
    _write_aside(index, page.encode())
    log(f"qualification report written to {index} with {len(charts)} charts")
    return Report(directory=directory, charts=paths, page=index, summary=summary, headlines=lines,
                  headlines_en=lines_en)
