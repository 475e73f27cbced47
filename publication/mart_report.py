"""What the marts say in a few numbers and tables: status counts, score distribution, top leads, top target accounts.
`make run` prints them; Dagster attaches them to the mart assets as metadata. Read-only queries, no rules here."""

from __future__ import annotations

from typing import Any

import duckdb

STATUS_ORDER = ("sql", "mql", "lead", "disqualified")


def markdown_table(columns: list[str], rows: list[tuple]) -> str:
    def cell(value: Any) -> str:
        return "" if value is None else str(value).replace("|", "\\|").replace("\n", " ")

    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def status_counts(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    counts = dict(con.execute("select status, count(*) from marts.qualified_leads group by status").fetchall())
    return {status: counts.get(status, 0) for status in STATUS_ORDER}


def contactable_leads(con: duckdb.DuckDBPyConnection) -> int:
    return con.execute("select count(*) filter (where contactable) from marts.qualified_leads").fetchone()[0]


def lead_score_distribution(con: duckdb.DuckDBPyConnection) -> list[tuple[str, int]]:
    """Leads by lead-score band of ten points (90–100 in the last band)."""
    rows = con.execute("""
        select least(lead_score // 10, 9) as band, count(*) from marts.qualified_leads group by band order by band
    """).fetchall()
    counts = dict(rows)
    return [(f"{band * 10}–{band * 10 + 9 if band < 9 else 100}", counts.get(band, 0)) for band in range(10)]


TOP_LEAD_COLUMNS = ["lead_id", "name", "company", "status", "lead_score", "fit", "engagement", "intent", "contactable",
                    "score_reasons"]


def top_leads(con: duckdb.DuckDBPyConnection, limit: int = 10) -> list[tuple]:
    """The best leads a salesperson should call first: not disqualified, highest lead score first."""
    return con.execute("""
        select lead_id, trim(coalesce(first_name, '') || ' ' || coalesce(last_name, '')), company_name, status,
               lead_score, fit_score, engagement_score, intent_score, contactable, score_reasons
        from marts.qualified_leads
        where status <> 'disqualified'
        order by lead_score desc, lead_id
        limit ?""", [limit]).fetchall()


TOP_TARGET_COLUMNS = ["rank", "siren", "company", "naf", "headcount", "région", "fit", "intent", "target_score",
                      "fit_reasons", "recent_signals"]


def top_targets(con: duckdb.DuckDBPyConnection, limit: int = 10) -> list[tuple]:
    return con.execute("""
        select target_rank, siren, company_name, naf_label, headcount_band_label, region_name, fit_score,
               intent_score, target_score, fit_reasons, recent_signals
        from marts.target_accounts order by target_rank limit ?""", [limit]).fetchall()


# What the Dagster metadata shows of the top leads: no name, address or company (a sole trader's is a person's name),
# since Dagster's event log keeps every run's metadata and an erasure request cannot reach it. The lead id leads to
# the person in the warehouse, where erasure applies.
TOP_LEAD_METADATA_COLUMNS = ["lead_id", "status", "lead_score", "fit", "engagement", "intent", "contactable",
                             "score_reasons"]


def _without_names(rows: list[tuple]) -> list[tuple]:
    keep = [TOP_LEAD_COLUMNS.index(c) for c in TOP_LEAD_METADATA_COLUMNS]
    return [tuple(row[i] for i in keep) for row in rows]


def mart_report(con: duckdb.DuckDBPyConnection, mart: str) -> dict[str, Any]:
    """Metadata for a mart: plain values, and markdown tables under keys ending in `_table`."""
    rows = con.execute(f"select count(*) from marts.{mart}").fetchone()[0]
    report: dict[str, Any] = {"rows": rows}
    if mart == "qualified_leads":
        report["status_counts"] = status_counts(con)
        report["lead_score_distribution_table"] = markdown_table(["lead score", "leads"],
                                                                 lead_score_distribution(con))
        report["top_10_leads_table"] = markdown_table(TOP_LEAD_METADATA_COLUMNS, _without_names(top_leads(con)))
        report["contactable"] = contactable_leads(con)
    elif mart == "account_scores":
        report["best_lead_status_counts"] = dict(con.execute("""
            select coalesce(best_lead_status, 'no lead'), count(*) from marts.account_scores
            group by 1 order by 2 desc""").fetchall())
        report["disqualified_accounts"] = con.execute(
            "select count(*) filter (where is_disqualified) from marts.account_scores").fetchone()[0]
    elif mart == "target_accounts":
        report["top_10_targets_table"] = markdown_table(TOP_TARGET_COLUMNS, top_targets(con))
    elif mart == "lead_status_history":
        report["changes_by_status"] = dict(con.execute("""
            select coalesce(previous_status, '(first seen)') || ' → ' || status, count(*)
            from marts.lead_status_history group by 1 order by 2 desc""").fetchall())
    return report
