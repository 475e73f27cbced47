"""Does qualification work? The funnel, the lift of the lead score by decile and the days to SQL drawn as PNG charts,
and an HTML page a sales manager can open, written into LEADS_PUBLISH_DIR/report/ from the published marts.

Every file is written aside and renamed into place; the HTML page embeds its charts, so it is whole on its own (it can
be mailed or dropped in a shared drive).
"""

from __future__ import annotations

import base64
import datetime as dt
import html
import io
import logging
import os
from dataclasses import dataclass
from pathlib import Path

import duckdb
from matplotlib.figure import Figure

from publication.publish import DATABASE_NAME
from ingestion.settings import Settings, dbt_vars
from ingestion.warehouse import Log

logger = logging.getLogger(__name__)

REPORT_DIR = "report"
FUNNEL_STAGES = [("leads", "Leads"), ("mqls", "MQL"), ("sqls", "SQL"), ("opportunities", "Opportunity"),
                 ("won", "Won")]
PATH_LABELS = {"signal_led": "Signal-led", "engagement_only": "Engagement only"}
BLUE, GREY, ORANGE = "#1f5fa8", "#9aa5b1", "#e07b24"


class ReportError(RuntimeError):
    """The publication lacks what the report needs; the last report stays in place."""


@dataclass
class Report:
    directory: Path
    charts: dict[str, Path]
    page: Path
    summary: dict
    headlines: list[str]


def _png(fig: Figure) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110, bbox_inches="tight", metadata={"Software": None})
    return buffer.getvalue()


def funnel_chart(con: duckdb.DuckDBPyConnection) -> bytes:
    """Leads of every monthly cohort through MQL, SQL, opportunity and won, with the rate from each stage."""
    totals = con.execute(
        "select " + ", ".join(f"coalesce(sum({column}), 0)" for column, _ in FUNNEL_STAGES)
        + " from funnel where segment_type = 'all'").fetchone()
    labels = [label for _, label in FUNNEL_STAGES]
    fig = Figure(figsize=(7.5, 3.6))
    ax = fig.subplots()
    ax.barh(labels[::-1], totals[::-1], color=BLUE)
    for index, value in enumerate(totals):
        rate = f"  ({value / totals[index - 1]:.0%} of {labels[index - 1]})" if index and totals[index - 1] else ""
        ax.text(value, len(labels) - 1 - index, f" {value:,}{rate}", va="center", fontsize=9)
    ax.set_xlim(0, max(totals) * 1.45 or 1)
    ax.set_title("Funnel: every cohort of new leads")
    ax.spines[["top", "right"]].set_visible(False)
    return _png(fig)


def lift_chart(con: duckdb.DuckDBPyConnection) -> bytes:
    """Lift of each lead-score decile (backtest) against what a random order of the same leads finds."""
    rows = con.execute("select decile, coalesce(lift, 0), coalesce(random_lift, 0) from backtest_lift "
                       "order by decile").fetchall()
    deciles = [r[0] for r in rows]
    fig = Figure(figsize=(7.5, 3.6))
    ax = fig.subplots()
    ax.bar(deciles, [r[1] for r in rows], color=BLUE, label="lead score")
    ax.plot(deciles, [r[2] for r in rows], "o--", color=GREY, label="random order")
    ax.axhline(1, color="black", linewidth=0.8)
    ax.set_xticks(deciles)
    ax.set_xlabel("lead-score decile (10 = highest scores)")
    ax.set_ylabel("lift (× average opportunity rate)")
    ax.set_title("Backtest: opportunity rate by lead-score decile")
    ax.legend(frameon=False)
    ax.spines[["top", "right"]].set_visible(False)
    return _png(fig)


def time_to_sql_chart(con: duckdb.DuckDBPyConnection) -> bytes:
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
            ax.hist(days, bins=bins, alpha=0.65, color=colour, label=f"{label} ({len(days)} leads)")
    if not rows:
        ax.text(0.5, 0.5, "no lead reached SQL during the backtest", ha="center", transform=ax.transAxes)
    ax.set_xlabel("days from first engagement or signal to SQL (weekly as-of dates)")
    ax.set_ylabel("leads")
    ax.set_title("Backtest: time to SQL")
    ax.legend(frameon=False)
    ax.spines[["top", "right"]].set_visible(False)
    return _png(fig)


CHARTS = {"funnel": funnel_chart, "lift_by_decile": lift_chart, "time_to_sql": time_to_sql_chart}
BACKTEST_CHARTS = {"lift_by_decile", "time_to_sql"}
NO_BACKTEST = "No backtest yet: the weekly_backtest job (Mondays) or `make run` replays the scoring against the deals."


def _summary_row(con: duckdb.DuckDBPyConnection) -> dict | None:
    if not con.execute("select count(*) from information_schema.tables where table_name = 'backtest_summary'"
                       ).fetchone()[0]:
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


def too_little_history(con: duckdb.DuckDBPyConnection, as_of: dt.date) -> str | None:
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
    since = f" (the oldest lead in the CRM was created in {oldest:%B %Y})" if isinstance(oldest, dt.date) else ""
    return (f"No backtest yet: the CRM has too little history. The backtest replays the scoring every week from "
            f"{first} to {last} (the last date {horizon} days before {as_of}, so that what followed each date is "
            f"known) for the leads already in the CRM then whose account had no deal yet: it found "
            f"{row.get('lead_dates') or 0} such (lead, date) pairs{since}, and needs at least {minimum} to compare "
            f"lead-score deciles. It will say more as the CRM's history grows; the settings are backtest_weeks, "
            f"backtest_horizon_days and backtest_min_lead_dates in dbt_project/dbt_project.yml.")


def _pct(value) -> str:
    return "n/a" if value is None else f"{value:.0%}"


def _num(value, digits: int = 1) -> str:
    return "n/a" if value is None else f"{value:.{digits}f}"


def headlines(summary: dict | None, no_backtest: str = NO_BACKTEST) -> list[str]:
    """The backtest's findings in a sales manager's words; without a backtest, why there is none."""
    if summary is None:
        return [no_backtest]
    s = summary
    return [
        f"Replayed every week from {s['first_as_of_date']} to {s['last_as_of_date']} ({s['as_of_dates']} dates, "
        f"{s['leads']:,} leads), each date scored only with what was known on it; an outcome is an opportunity "
        f"opened within {s['horizon_days']} days.",
        f"Leads in the top lead-score decile got an opportunity {_num(s['top_decile_lift'])}× as often as the "
        f"average lead (a random order of the same leads: {_num(s['top_decile_random_lift'])}×).",
        f"MQLs got an opportunity in {_pct(s['mql_precision'])} of cases (recall {_pct(s['mql_recall'])}); "
        f"SQLs in {_pct(s['sql_precision'])} (recall {_pct(s['sql_recall'])}); the average lead: "
        f"{_pct(s['conversion_rate'])}.",
        f"Of {s['won_accounts']:,} accounts won, {_pct(s['won_flagged_before_sales_share'])} had been flagged MQL "
        f"or SQL before sales opened the opportunity, a median of {_num(s['median_days_flagged_earlier'], 0)} days "
        f"earlier.",
        f"Signal-led qualified leads converted at {_pct(s['signal_led_conversion_rate'])}, engagement-only ones at "
        f"{_pct(s['engagement_only_conversion_rate'])}; median days from first engagement or signal to SQL: "
        f"{_num(s['signal_led_median_days_to_sql'], 0)} against {_num(s['engagement_only_median_days_to_sql'], 0)}.",
    ]


def _table(con: duckdb.DuckDBPyConnection, query: str) -> str:
    rows = con.execute(query).fetchall()
    head = "".join(f"<th>{html.escape(d[0])}</th>" for d in con.description)
    body = "".join("<tr>" + "".join(f"<td>{html.escape('' if v is None else str(v))}</td>" for v in row) + "</tr>"
                   for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def html_page(con: duckdb.DuckDBPyConnection, charts: dict[str, bytes], lines: list[str], as_of: str) -> str:
    images = "".join(
        f'<figure><img alt="{name}" src="data:image/png;base64,{base64.b64encode(png).decode()}"></figure>'
        for name, png in charts.items())
    findings = "".join(f"<li>{html.escape(line)}</li>" for line in lines)
    tables = ""
    if "lift_by_decile" in charts:
        tables = ("<h2>Lift by lead-score decile</h2>"
                  + _table(con, "select decile, lead_dates, opportunities, conversion_rate, lift, random_lift "
                                "from backtest_lift order by decile desc")
                  + "<h2>Qualification paths</h2>"
                  + _table(con, "select * from backtest_qualification_paths order by qualification_path"))
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Does lead qualification work? — {html.escape(as_of)}</title>
<style>body{{font-family:system-ui,sans-serif;max-width:960px;margin:2em auto;color:#1d2733;line-height:1.45}}
table{{border-collapse:collapse;margin:1em 0;font-size:.9em}}td,th{{border:1px solid #d5dbe1;padding:.3em .6em;
text-align:right}}th{{background:#eef2f6}}img{{max-width:100%}}figure{{margin:1.5em 0}}</style></head>
<body><h1>Does lead qualification work?</h1>
<p>Scores and statuses as of {html.escape(as_of)}, checked against the deals that followed.</p>
<ul>{findings}</ul>{images}{tables}
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
        charts = {name: draw(con) for name, draw in CHARTS.items() if summary or name not in BACKTEST_CHARTS}
        reason = too_little_history(con, as_of_date) if summary is None else None
        if reason:
            log(reason)
        lines = headlines(summary, reason or NO_BACKTEST)
        page = html_page(con, charts, lines, as_of)
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
    return Report(directory=directory, charts=paths, page=index, summary=summary, headlines=lines)
