"""Schedules and the landing-zone sensor: the daily refresh at 06:00 Paris time, the monthly stock download, and a new
or changed file starting exactly one run of what depends on it."""

from __future__ import annotations

import os

import dagster as dg
import pytest

from conftest import AS_OF, NEXT_DAY


@pytest.fixture
def defs():
    from orchestration.definitions import defs

    return defs


def test_the_daily_refresh_runs_at_six_paris_time_and_leaves_matching_and_the_backtest_out(defs):
    schedule = defs.get_schedule_def("daily_refresh_schedule")
    assert (schedule.cron_schedule, schedule.execution_timezone) == ("0 6 * * *", "Europe/Paris")
    assert schedule.default_status == dg.DefaultScheduleStatus.RUNNING
    job = defs.resolve_job_def("daily_refresh")
    keys = {k.to_user_string() for k in job.asset_layer.executable_asset_keys}
    assert {"raw/sirene_unites_legales", "raw/sirene_updates_unites_legales", "intermediate/int_intent__web_event_log",
            "marts/qualified_leads", "published/leads", "published/qualification_report"} <= keys
    # matching and what reads only the CRM exports or INPI rerun when those files land (sensor); the backtest weekly
    assert not keys & {"matching/crm_company_candidates", "intermediate/int_registry__match_candidates",
                       "intermediate/int_crm__company_matches_exact", "intermediate/int_crm__company_domains",
                       "intermediate/int_companies__latest_revenue", "marts/backtest_lift",
                       "intermediate/int_backtest__lead_scores"}
    # CRM people stay: an erasure request takes effect on the next run, whichever starts it
    assert "intermediate/int_crm__people" in keys


def test_the_backtest_runs_every_monday_then_publishes(defs):
    schedule = defs.get_schedule_def("weekly_backtest_schedule")
    assert (schedule.cron_schedule, schedule.execution_timezone) == ("0 7 * * 1", "Europe/Paris")
    keys = {k.to_user_string() for k in defs.resolve_job_def("weekly_backtest").asset_layer.executable_asset_keys}
    assert {"intermediate/int_backtest__lead_scores", "marts/backtest_summary", "published/leads",
            "published/qualification_report"} <= keys
    assert "marts/qualified_leads" not in keys


def test_the_monthly_stock_download_waits_for_someone_to_switch_it_on(defs):
    schedule = defs.get_schedule_def("monthly_sirene_stock_schedule")
    assert schedule.cron_schedule == "0 3 2 * *" and schedule.default_status == dg.DefaultScheduleStatus.STOPPED
    assert schedule.job_name == "download_sirene_stock_job"


def _evaluate(defs, cursor: str | None):
    sensor = defs.get_sensor_def("landing_zone_sensor")
    from orchestration.resources import build_resources

    context = dg.build_sensor_context(cursor=cursor, repository_def=defs.get_repository_def(),
                                      resources={"settings": build_resources()["settings"]})
    return sensor(context)


def test_a_new_or_changed_file_starts_one_run_of_what_depends_on_it(defs, tmp_path, monkeypatch):
    monkeypatch.setenv("LEADS_LANDING_DIR", str(tmp_path))
    monkeypatch.setenv("LEADS_DUCKDB_PATH", str(tmp_path / "none_yet.duckdb"))  # nothing landed yet
    (tmp_path / "crm").mkdir()
    (tmp_path / "intent" / "web_events").mkdir(parents=True)
    (tmp_path / "crm" / "contacts.csv").write_text("Email\nanne@x.fr\n")
    (tmp_path / "intent" / "web_events" / f"{AS_OF}.jsonl").write_text('{"event_id": "e1"}\n')
    (tmp_path / "intent" / "web_events" / f"{NEXT_DAY}.jsonl.part").write_text('{"event_id": "half')  # downloading

    first = _evaluate(defs, None)
    [request] = first.run_requests
    assert request.run_key.count("|") == 1 and NEXT_DAY.isoformat() not in request.run_key
    selected = {k.to_user_string() for k in request.asset_selection}
    assert {"raw/crm_records", "raw/crm_erasure_requests", "raw/web_events", "marts/qualified_leads",
            "published/leads"} <= selected
    assert "raw/sirene_unites_legales" not in selected

    # nothing new: no run; the same content written again (a new mtime) is not a change either
    assert _evaluate(defs, first.cursor).run_requests == []
    os.utime(tmp_path / "crm" / "contacts.csv", ns=(1, 1))
    again = _evaluate(defs, first.cursor)
    assert again.run_requests == []

    # a changed web-events file: only it and what depends on it
    (tmp_path / "intent" / "web_events" / f"{AS_OF}.jsonl").write_text('{"event_id": "e1"}\n{"event_id": "e2"}\n')
    [changed] = _evaluate(defs, again.cursor).run_requests
    selected = {k.to_user_string() for k in changed.asset_selection}
    assert "raw/web_events" in selected and "raw/crm_records" not in selected
    assert changed.run_key != request.run_key


def test_settings_are_one_resource_whose_date_moves_with_the_calendar_and_whose_key_stays_an_env_var(monkeypatch):
    """A code location left running for days (the daemon's) scores each run at the day it starts, not the day it
    loaded; the INSEE key is passed as the environment variable it comes from, never as its value."""
    from ingestion.settings import today_in_paris
    from orchestration.resources import build_resources

    monkeypatch.delenv("LEADS_AS_OF", raising=False)
    monkeypatch.setenv("INSEE_API_KEY", "key-that-must-not-show")
    settings = build_resources()["settings"]
    assert settings.as_of is None and settings.load().as_of == today_in_paris()
    assert "key-that-must-not-show" not in repr(settings) and "INSEE_API_KEY" in repr(settings)
    monkeypatch.setenv("LEADS_AS_OF", "2026-03-02")
    assert build_resources()["settings"].load().as_of.isoformat() == "2026-03-02"
