"""French first for what sales reads (score_reasons, status_reason, the summary, the report), English by
LEADS_LANGUAGE=en; and the report a sales manager acts on: who to contact this week first, then the funnel with its
definitions and the backtest, every rate with its sample size and 95 % interval, or "too few to conclude"."""

from __future__ import annotations

import html
import re
import shutil

import duckdb
import pytest

from conftest import run_dbt
from ingestion.settings import load_settings
from publication import report as report_module
from publication.report import call_list, write_report
from publication.wording import MIN_SAMPLE, NARROW_NBSP, Rate, number, percent, wilson_interval

# the models that word the reasons (the seeds' reason_fr / reason_en, seed reason_phrases), and qualified_leads
WORDED_MODELS = ["int_companies__fit", "int_companies__in_crm", "int_scoring__activity_points", "int_signals__scored",
                 "int_companies__signals", "int_leads__qualification", "int_leads__score_reasons", "qualified_leads"]
FRENCH_STATUSES = {"Disqualifié", "SQL", "MQL", "Lead"}
ENGLISH_STATUSES = {"Disqualified", "SQL", "MQL", "Lead"}


def _page(published) -> str:
    return (published / "report" / "index.html").read_text(encoding="utf-8")


# ---- formats and settings (no warehouse)


def test_numbers_read_the_french_way_by_default_and_the_english_way_by_the_setting():
    assert number(1234) == f"1{NARROW_NBSP}234"
    assert number(1234567.891, 1) == f"1{NARROW_NBSP}234{NARROW_NBSP}567,9"
    assert percent(0.124, 1) == f"12,4{NARROW_NBSP}%"
    assert number(1234.5, 1, "en") == "1,234.5" and percent(0.124, 1, "en") == "12.4%"
    assert number(None) == "n.d." and percent(None, language="en") == "n/a"


def test_a_rate_comes_with_its_sample_size_and_wilson_interval_or_says_too_few():
    low, high = wilson_interval(10, 100)
    assert (round(low, 4), round(high, 4)) == (0.0552, 0.1744)
    # within 0–1 and not zero-width at 0 % or 100 %, unlike p ± 1.96·√(p(1−p)/n)
    assert wilson_interval(0, 50)[0] == 0 and 0 < wilson_interval(0, 50)[1] < 0.1
    assert wilson_interval(50, 50)[1] == pytest.approx(1) and wilson_interval(50, 50)[0] < 1
    assert Rate(10, 100).text() == f"10{NARROW_NBSP}% (n = 100 ; IC 95{NARROW_NBSP}% : 6–17{NARROW_NBSP}%)"
    assert Rate(10, 100).text("en") == "10% (n = 100; 95% CI 6–17%)"
    few = Rate(MIN_SAMPLE - 1, MIN_SAMPLE - 1)  # 100 % of a handful
    assert few.text() == f"trop peu pour conclure (n = {MIN_SAMPLE - 1})"
    assert few.text("en") == f"too few to conclude (n = {MIN_SAMPLE - 1})"
    assert Rate(MIN_SAMPLE, MIN_SAMPLE).text("en").startswith("100% (n = 30; 95% CI")


def test_the_language_is_french_unless_leads_language_says_english(monkeypatch):
    from orchestration.resources import PipelineSettings

    monkeypatch.delenv("LEADS_LANGUAGE", raising=False)
    assert load_settings().language == "fr"  # the dbt var `language`, the one default
    monkeypatch.setenv("LEADS_LANGUAGE", "EN")
    settings = load_settings()
    assert settings.language == "en"
    assert PipelineSettings.from_settings(settings, as_of_fixed=True).load().language == "en", "Dagster passes it on"
    monkeypatch.setenv("LEADS_LANGUAGE", "de")
    with pytest.raises(ValueError, match="LEADS_LANGUAGE"):
        load_settings()


# ---- reasons in both languages


def _check_reasons(rows, labels: tuple[str, str, str], colon: str, statuses: set[str]) -> str:
    for fit, engagement, intent, reasons, status_reason in rows:
        parts = reasons.split(" | ")
        assert parts[0].startswith(f"{labels[0]} {fit}{colon}"), reasons
        assert parts[1].startswith(f"{labels[1]} {engagement}{colon}"), reasons
        assert parts[2].startswith(f"{labels[2]} {intent}{colon}"), reasons
        assert parts[3] == status_reason and status_reason.split(colon)[0] in statuses, status_reason
    return "\n".join(row[3] for row in rows)


REASONS = "select fit_score, engagement_score, intent_score, score_reasons, status_reason from marts.qualified_leads"


def test_reasons_are_in_french_by_default(read_warehouse):
    text = _check_reasons(read_warehouse.execute(REASONS).fetchall(), ("Profil", "Engagement", "Intention"), " : ",
                          FRENCH_STATUSES)
    assert "a demandé une démo" in text and "l'entreprise a levé des fonds" in text
    assert "développe des logiciels" in text
    assert re.search(r"\(\+\d+,\d\)", text) and not re.search(r"\(\+\d+\.\d\)", text), "decimal commas"
    assert "requested a demo" not in text and "Disqualified" not in text


def test_the_same_rules_read_in_english_when_leads_language_is_en(read_warehouse, warehouse_copy, tmp_path,
                                                                  monkeypatch):
    french = read_warehouse.execute("select lead_id, lead_score, status from marts.qualified_leads").fetchall()
    monkeypatch.setenv("LEADS_LANGUAGE", "en")
    run_dbt(["run", "--threads", "1", "--select", *WORDED_MODELS], warehouse_copy, tmp_path / "target")
    with duckdb.connect(str(warehouse_copy), read_only=True) as con:
        english = con.execute("select lead_id, lead_score, status from marts.qualified_leads").fetchall()
        text = _check_reasons(con.execute(REASONS).fetchall(), ("Fit", "Engagement", "Intent"), ": ",
                              ENGLISH_STATUSES)
    assert sorted(english) == sorted(french), "the same scores and statuses, other words"
    assert "requested a demo" in text and "the company raised funds" in text and "develops software" in text
    assert re.search(r"\(\+\d+\.\d\)", text) and "Profil" not in text and "a demandé" not in text


# ---- the report


def test_the_report_opens_in_french_with_who_to_contact_this_week_then_explains_the_funnel(warehouse):
    page = _page(warehouse["published"])
    assert '<html lang="fr">' in page and "Who to contact" not in page
    headings = [page.index(h) for h in ("Qui contacter cette semaine", "L'entonnoir",
                                        "Le score trouve-t-il les acheteurs ? Le backtest")]
    assert headings == sorted(headings), "who to contact first, then the funnel, then the backtest"
    # the funnel's two counts side by side, and what sets them apart
    assert "Leads qui l'ont atteinte un jour" in page and "Leads à ce statut aujourd'hui" in page
    assert "quel que soit son statut aujourd'hui" in page
    # plain labels, French numbers, rates with their sample size and interval
    assert "Taux d'opportunité" in page and "Décile du score" in page
    assert not re.search(r"<th>[a-z]+_[a-z_]+</th>", page), "no column names as headers"
    assert f"IC 95{NARROW_NBSP}%" in page and re.search(r"\(n = [\d\u202f]+ ;", page)
    # the Dagster UI stays in English
    metadata = {e.asset_key.to_user_string(): e.materialization.metadata
                for e in warehouse["result"].get_asset_materialization_events()}
    assert metadata["published/qualification_report"]["findings"].value.startswith("- Replayed every week")


def test_a_rate_on_too_few_leads_says_so_instead_of_a_percentage(warehouse):
    page = _page(warehouse["published"])
    with duckdb.connect(str(warehouse["published"] / "leads.duckdb"), read_only=True) as con:
        paths = con.execute("select qualified_leads, opportunities from backtest_qualification_paths").fetchall()
    small = [n for n, _ in paths if n < MIN_SAMPLE]
    assert small, "the sample has a qualification path of fewer leads than the minimum"
    for n in small:
        assert f"<td>trop peu pour conclure (n = {n})</td>" in page
    for n, opportunities in paths:
        if n >= MIN_SAMPLE:
            assert Rate(opportunities, n).text() in page


def test_the_call_list_is_contactable_sql_and_mql_leads_by_score_with_reasons_company_and_owner(warehouse):
    with duckdb.connect(str(warehouse["published"] / "leads.duckdb"), read_only=True) as con:
        total, leads = call_list(con, limit=100_000)
        eligible = {lead_id for (lead_id,) in con.execute(
            "select lead_id from qualified_leads where contactable and status in ('sql', 'mql')").fetchall()}
        left_out = con.execute("select count(*) from qualified_leads where status in ('sql', 'mql') "
                               "and not contactable").fetchone()[0]
    assert {lead["lead_id"] for lead in leads} == eligible and total == len(leads) > 20
    assert left_out > 0, "the sample holds SQLs and MQLs that may not be contacted: the list leaves them out"
    scores = [lead["lead_score"] for lead in leads]
    assert scores == sorted(scores, reverse=True) and {lead["status"] for lead in leads} == {"sql", "mql"}
    assert all(lead["score_reasons"] and lead["company"] for lead in leads)
    # owners: the sample's HubSpot contacts carry a "Contact owner"; its Salesforce export has no Owner.Name
    hubspot = [lead["owner_name"] for lead in leads if lead["lead_id"].startswith("hubspot:")]
    assert hubspot and sum(owner is not None for owner in hubspot) > len(hubspot) / 2
    assert all(lead["owner_name"] is None for lead in leads if lead["lead_id"].startswith("salesforce:"))

    page = _page(warehouse["published"])
    rows = page[page.index("Qui contacter cette semaine"):page.index("L'entonnoir")].split("<tr>")[2:]
    assert len(rows) == min(total, report_module.CALL_LIST_LIMIT)
    for row, lead in zip(rows, leads):  # in the list's order, each with its company, owner and reasons
        assert html.escape(lead["email"] or "", quote=False) in row and html.escape(lead["company"], quote=False) in row
        assert html.escape(lead["owner_name"] or "non attribué", quote=False) in row
        assert html.escape(lead["score_reasons"].split(" | ")[-1], quote=False) in row


def test_the_report_and_its_charts_in_english_by_the_setting(warehouse, tmp_path, monkeypatch):
    published = tmp_path / "published"
    shutil.copytree(warehouse["published"], published)
    monkeypatch.setenv("LEADS_PUBLISH_DIR", str(published))
    monkeypatch.setenv("LEADS_LANGUAGE", "en")
    written = write_report(load_settings(), log=lambda _: None)
    page = written.page.read_text(encoding="utf-8")
    assert '<html lang="en">' in page and "Who to contact this week" in page
    assert "Leads who ever reached it" in page and "whatever its status today" in page
    assert "95% CI" in page and "too few to conclude (n = " in page
    assert "Qui contacter" not in page and "trop peu" not in page and written.headlines == written.headlines_en


def test_the_charts_are_labelled_in_the_reports_language(warehouse, monkeypatch):
    figures = []
    monkeypatch.setattr(report_module, "_png", lambda fig: figures.append(fig) or b"")
    with duckdb.connect(str(warehouse["published"] / "leads.duckdb"), read_only=True) as con:
        for language in ("fr", "en"):
            for draw in report_module.CHARTS.values():
                draw(con, language)
    axes = [fig.axes[0] for fig in figures]
    assert [ax.get_title() for ax in axes] == [
        "Entonnoir : toutes les cohortes de nouveaux leads", "Backtest : taux d'opportunité par décile de score",
        "Backtest : délai jusqu'à SQL",
        "Funnel: every cohort of new leads", "Backtest: opportunity rate by lead-score decile", "Backtest: time to SQL"]
    assert axes[1].get_xlabel() == "décile du score (10 = meilleurs scores)"
    assert [t.get_text() for t in axes[1].get_legend().get_texts()] == ["ordre aléatoire", "score"]
    assert [t.get_text() for t in axes[4].get_legend().get_texts()] == ["random order", "lead score"]
