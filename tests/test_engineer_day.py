"""The data engineer's day: the sensor starts from what is already landed, failed checks are visible (in the
publication, the run's tags and the summary) and a blocking one stops the publication, the terminal shows a line
per phase, and BI tools get the same types from the DuckDB file and the Parquet files, as the README lists them."""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import sys

import dagster as dg
import duckdb
import pytest

from publication.publish import PUBLISHED_MARTS


@pytest.fixture
def defs():
    from orchestration.definitions import defs

    return defs


def _sensor(defs, cursor=None):
    from orchestration.resources import build_resources

    context = dg.build_sensor_context(cursor=cursor, repository_def=defs.get_repository_def(),
                                      resources={"settings": build_resources()["settings"]})
    return defs.get_sensor_def("landing_zone_sensor")(context)


def test_the_sensor_starts_no_run_for_files_the_warehouse_already_holds(defs, warehouse, warehouse_copy, tmp_path,
                                                                        monkeypatch):
    """`make dev` right after `make run`: the sensor's first look (no cursor) finds every file already landed."""
    zone = tmp_path / "zone"
    shutil.copytree(warehouse["zone"], zone, ignore=shutil.ignore_patterns("_truth"))
    monkeypatch.setenv("LEADS_LANDING_DIR", str(zone))
    monkeypatch.setenv("LEADS_DUCKDB_PATH", str(warehouse_copy))

    first = _sensor(defs)
    assert first.run_requests == [], [r.run_key for r in first.run_requests]

    # a new signals file is news: one run, of the signals and what depends on them
    (zone / "intent" / "signals" / "more.jsonl").write_text(
        '{"signal_id": "s-new", "signal_type": "funding", "occurred_at": "2026-11-20", "siren": "552100554"}\n')
    [request] = _sensor(defs, first.cursor).run_requests
    selected = {key.to_user_string() for key in request.asset_selection}
    assert "raw/signals" in selected and "raw/crm_records" not in selected

    # while a run writes the warehouse (another process holds it), the sensor looks again later rather than guess
    writer = subprocess.Popen([sys.executable, "-c", "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); "
                               "print('holding', flush=True); time.sleep(120)", str(warehouse_copy)],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert writer.stdout.readline().strip() == "holding"
        busy = _sensor(defs, first.cursor)
    finally:
        writer.kill()
        writer.wait()
    assert busy.run_requests == [] and "in use" in busy.skip_reason.skip_message


def _run(selection, settings_env: dict, monkeypatch, db, publish_dir):
    from ingestion.settings import load_settings
    from orchestration.definitions import ALL_ASSETS, ALL_CHECKS
    from orchestration.resources import build_resources

    monkeypatch.setenv("LEADS_DUCKDB_PATH", str(db))
    monkeypatch.setenv("LEADS_PUBLISH_DIR", str(publish_dir))
    for key, value in settings_env.items():
        monkeypatch.setenv(key, value)
    instance = dg.DagsterInstance.ephemeral()
    result = dg.materialize([*ALL_ASSETS, *ALL_CHECKS], selection=selection, instance=instance,
                            resources=build_resources(load_settings()), raise_on_error=False)
    return result, instance


PUBLISHED = dg.AssetKey(["published", "leads"])
PUSHED = dg.AssetKey(["crm_sync", "pushed_scores"])
ATTRIBUTION = dg.AssetCheckKey(dg.AssetKey(["intermediate", "int_intent__web_events"]), "identified_events_are_known")
MATCH_RATE = dg.AssetCheckKey(dg.AssetKey(["marts", "qualified_leads"]), "crm_companies_matched_to_the_registry")


def test_a_failed_warning_is_in_the_run_tags_the_publication_and_the_summary(warehouse, warehouse_copy, tmp_path,
                                                                             monkeypatch, capsys):
    publish_dir = tmp_path / "published"
    selection = dg.AssetSelection.assets(PUBLISHED, PUSHED) | dg.AssetSelection.checks(ATTRIBUTION, MATCH_RATE)
    result, instance = _run(selection, {"LEADS_MIN_IDENTIFIED_EVENTS_KNOWN": "1.01"}, monkeypatch, warehouse_copy,
                            publish_dir)
    assert result.success, "a warning does not fail the run"
    [failed] = [e for e in result.get_asset_check_evaluations() if not e.passed]
    assert failed.asset_check_key == ATTRIBUTION

    run = instance.get_run_by_id(result.run_id)
    assert run.tags.get("leads/failed_checks") == "1", "seen in the run list"
    metadata = result.asset_materializations_for_node("published__leads")[0].metadata
    assert "identified_events_are_known" in metadata["failed_checks"].value
    assert "intermediate.int_intent__web_events" in metadata["failed_checks"].value, "names the table to look at"

    manifest = json.loads((publish_dir / "publication.json").read_text())
    assert len(manifest["failed_checks"]) == 1
    # the scores go back to the CRM only from a run whose checks all passed (not even as a dry run)
    assert not [e for e in result.get_asset_materialization_events() if e.asset_key == PUSHED]
    assert not (publish_dir / "crm_push_dry_run.csv").exists()

    from publication import summary

    capsys.readouterr()
    assert summary.main() == 0
    printed = capsys.readouterr().out
    assert "1 contrôle(s) en échec" in printed and "identified_events_are_known (warning)" in printed


def test_a_blocking_check_that_fails_stops_the_publication_and_bi_keeps_the_last_one(warehouse, warehouse_copy,
                                                                                     tmp_path, monkeypatch):
    publish_dir = tmp_path / "published"
    shutil.copytree(warehouse["published"], publish_dir)
    before = (publish_dir / "publication.json").read_text()
    selection = dg.AssetSelection.assets(PUBLISHED) | dg.AssetSelection.checks(MATCH_RATE)
    result, _ = _run(selection, {"LEADS_MIN_MATCH_RATE": "1.01"}, monkeypatch, warehouse_copy, publish_dir)
    [evaluation] = result.get_asset_check_evaluations()
    assert not evaluation.passed and evaluation.severity == dg.AssetCheckSeverity.ERROR
    assert "matched" in (evaluation.description or "")
    assert not result.asset_materializations_for_node("published__leads"), "publication skipped"
    assert (publish_dir / "publication.json").read_text() == before


def test_every_published_column_has_the_same_type_in_duckdb_and_parquet(warehouse):
    """Counts are BIGINT (a HUGEINT from a SUM is refused by some BI drivers, and became DOUBLE in Parquet), money is
    DECIMAL; the Parquet file reads back with the types of the DuckDB file."""
    published = warehouse["published"]
    with duckdb.connect(str(published / "leads.duckdb"), read_only=True) as con:
        for mart in PUBLISHED_MARTS:
            in_duckdb = con.execute("select column_name, data_type from information_schema.columns "
                                    "where table_schema = 'main' and table_name = ? order by ordinal_position",
                                    [mart]).fetchall()
            in_parquet = [(name, kind) for name, kind, *_ in con.execute(
                f"describe select * from read_parquet('{published / 'parquet' / f'{mart}.parquet'}')").fetchall()]
            assert in_duckdb and in_duckdb == in_parquet, mart
            assert not [c for c, kind in in_duckdb if kind in ("HUGEINT", "UHUGEINT")], mart
            money = [kind for c, kind in in_duckdb if c.endswith("_eur")]
            assert all(kind.startswith("DECIMAL") for kind in money), (mart, money)


def test_the_readme_lists_every_published_column_with_its_type(warehouse):
    from publication.columns import README, documented_columns, readme_section, section

    assert readme_section(README.read_text(encoding="utf-8")) == section(warehouse["published"]), (
        "the README's published columns are out of date: `uv run python -m publication.columns --write`")
    undescribed = [f"{mart}.{name}" for mart, (_, columns) in documented_columns(warehouse["published"]).items()
                   for name, _, meaning in columns if not meaning]
    assert not undescribed, f"published columns without a description in the dbt YAML: {undescribed}"


def test_the_terminal_gets_one_line_per_phase_and_dbt_as_a_count():
    from orchestration.progress import Progress, materialized_line

    out = io.StringIO()
    progress = Progress(out)
    for done in range(1, 221):
        progress.dbt_output(f"13:05:04  {done} of 220 OK created sql table model marts.m{done} ....... [OK in 0.1s]")
        progress.dbt_output(f"13:05:04  {done} of 220 START sql table model marts.m{done} ....... [RUN]")
    progress.dbt_output("13:05:05  7 of 220 WARN 3 every_status_occurs ....... [WARN 3 in 0.1s]")
    lines = out.getvalue().splitlines()
    assert 3 <= len(lines) <= 6, lines
    assert lines[-2].endswith("dbt 220 of 220 models and tests done")
    assert "WARN" in lines[-1] and "every_status_occurs" in lines[-1], "a warning always gets its line"
    assert materialized_line("raw/signals", {"rows_loaded": 5, "dagster/row_count": 110, "rows_quarantined": 2}) \
        == "raw/signals: 5 rows landed, 110 in the table, 2 quarantined"
    assert materialized_line("marts/qualified_leads", {"dagster/row_count": 3}) is None, "dbt's count says those"
    # the predictive model's training and scoring, minutes at national scale, each say what they decided
    assert materialized_line("predictions/models", {"opportunity_status": "rules_kept",
                                                    "won_deal_status": "not_trained"}) \
        == "predictions/models: opportunity rules_kept, won_deal not_trained"
    assert materialized_line("predictions/lead_predictions", {"dagster/row_count": 1200}) \
        == "predictions/lead_predictions: 1,200 leads scored"


def test_dbt_models_show_column_types_row_counts_owners_and_described_checks(warehouse, defs):
    """What the asset page of marts/qualified_leads shows."""
    result = warehouse["result"]
    [materialization] = [m for m in result.get_asset_materialization_events()
                         if m.asset_key == dg.AssetKey(["marts", "qualified_leads"])]
    metadata = materialization.materialization.metadata
    with duckdb.connect(str(warehouse["path"]), read_only=True) as con:
        rows = con.execute("select count(*) from marts.qualified_leads").fetchone()[0]
    assert metadata["dagster/row_count"].value == rows
    columns = {c.name: c for c in metadata["dagster/column_schema"].value.columns}
    assert columns["lead_score"].type == "integer" and columns["revenue_eur"].type.startswith("decimal")
    assert columns["lead_id"].description, "the dbt YAML's description stays beside the type"
    assert "Execution Duration (s)" in metadata
    dbt_tests = [e for e in result.get_asset_check_evaluations()
                 if e.asset_check_key.asset_key == dg.AssetKey(["marts", "qualified_leads"])
                 and "dagster_dbt/failed_row_count" in e.metadata]
    assert len(dbt_tests) >= 20
    assert all("Execution Duration (s)" in e.metadata and "Execution Duration" not in e.metadata for e in dbt_tests)

    graph = defs.resolve_asset_graph()
    spec = graph.get(dg.AssetKey(["marts", "qualified_leads"]))
    assert "team:data-engineering" in spec.owners
    assert "team:revenue-operations" in graph.get(dg.AssetKey(["scoring", "engagement_activity_weights"])).owners
    checks = [graph.get_check_spec(k) for k in graph.asset_check_keys if k.asset_key == spec.key]
    assert len(checks) >= 20 and all(c.description for c in checks)
    names = [c.name for c in checks]
    # the UI cuts a long name in its middle: beginning and end must tell two checks apart
    assert len({(n[:24], n[-12:]) for n in names}) == len(names), "no two checks look the same once cut"
    assert [c for c in checks if c.name == "lead_score_between_0_and_100"][0].description \
        == "lead_score lies between 0 and 100."


def test_landing_assets_say_when_their_source_last_brought_something_new(warehouse, defs):
    """The source freshness checks read `dagster/last_updated_timestamp`, the last load of new content."""
    result = warehouse["result"]
    for key in (["raw", "sirene_unites_legales"], ["raw", "crm_records"], ["raw", "signals"]):
        [event] = [m for m in result.get_asset_materialization_events() if m.asset_key == dg.AssetKey(key)]
        assert "dagster/last_updated_timestamp" in event.materialization.metadata, key
    checked = {k.asset_key.to_user_string() for k in defs.resolve_asset_graph().asset_check_keys
               if k.name == "source_is_fresh"}
    assert {"raw/sirene_unites_legales", "raw/crm_records", "raw/web_events"} <= checked
    evaluations = {e.asset_check_key.asset_key.to_user_string(): e for e in result.get_asset_check_evaluations()
                   if e.asset_check_key.name == "source_is_fresh"}
    assert evaluations["raw/web_events"].passed, "just landed: fresh (the wall clock's, not the as-of date's)"


def test_a_late_source_warns_once_its_deadline_passes_and_the_sensor_evaluates_it_once(defs):
    """The SIRENE stock last brought something new 40 days ago, the web events 2 hours ago: the sensor asks for the
    stock's check only, once; the check fails as a warning that says how late and where to look."""
    import time

    from orchestration.assets.freshness import freshness_checks

    now = time.time()
    landed = {"sirene_unites_legales": now - 40 * 86400, "web_events": now - 2 * 3600}
    with dg.instance_for_test() as instance:
        for table, at in landed.items():
            instance.report_runless_asset_event(dg.AssetMaterialization(
                ["raw", table], metadata={"dagster/last_updated_timestamp": dg.MetadataValue.timestamp(at)}))
        sensor = defs.get_sensor_def("source_freshness_sensor")
        context = dg.build_sensor_context(instance=instance, repository_def=defs.get_repository_def())
        first = sensor(context)
        assert [[key.asset_key.to_user_string() for key in r.asset_check_keys] for r in first.run_requests] \
            == [["raw/sirene_unites_legales"]]
        again = sensor(dg.build_sensor_context(instance=instance, repository_def=defs.get_repository_def(),
                                               cursor=first.cursor))
        assert not again.run_requests, "a late source is reported once per deadline, not every ten minutes"

        # both checks, as a landing run evaluates them
        keys = [k for c in freshness_checks for k in c.check_keys if k.asset_key.path[-1] in landed]
        job = dg.define_asset_job("freshness", selection=dg.AssetSelection.checks(*keys))
        result = dg.Definitions(asset_checks=freshness_checks, jobs=[job]).resolve_job_def("freshness") \
            .execute_in_process(instance=instance)
        verdicts = {e.asset_check_key.asset_key.path[-1]: e for e in result.get_asset_check_evaluations()}
        assert verdicts["web_events"].passed
        stock = verdicts["sirene_unites_legales"]
        assert not stock.passed and stock.severity == dg.AssetCheckSeverity.WARN
        assert "40.0 days ago" in stock.description and "monthly_sirene_stock_schedule" in stock.description


def test_a_dbt_step_whose_results_dagster_cannot_read_fails_and_says_why(warehouse, warehouse_copy, tmp_path,
                                                                         monkeypatch):
    """Spark's console progress bar ("[Stage 18:>  (0 + 1) / 1]", no newline) once ran into dbt's JSON log lines:
    Dagster lost the models' results, the step succeeded with no materialisation and every step after it was
    skipped, in a run that succeeded. A dbt whose result lines are broken that way must fail its step, saying why."""
    from dagster_dbt import DbtCliResource

    from ingestion.settings import load_settings
    from orchestration.definitions import ALL_ASSETS, ALL_CHECKS
    from orchestration.resources import DBT_BOUND_TO_ITS_RUN, build_resources, dbt_project

    noisy = tmp_path / "dbt"
    noisy.write_text("#!/bin/bash\nset -o pipefail\n"
                     f"'{DBT_BOUND_TO_ITS_RUN}' \"$@\" | "
                     "sed -u 's/^\\(.*\"name\": \"LogModelResult\".*\\)$/[Stage 18:>  (0 + 1) \\/ 1]\\1/'\n")
    noisy.chmod(0o755)
    monkeypatch.setenv("LEADS_DUCKDB_PATH", str(warehouse_copy))
    monkeypatch.setenv("LEADS_PUBLISH_DIR", str(tmp_path / "published"))
    resources = {**build_resources(load_settings()),
                 "dbt": DbtCliResource(project_dir=dbt_project, dbt_executable=str(noisy))}
    result = dg.materialize([*ALL_ASSETS, *ALL_CHECKS], selection=dg.AssetSelection.assets(["marts", "funnel"]),
                            instance=dg.DagsterInstance.ephemeral(), resources=resources, raise_on_error=False)
    assert not result.success
    [failure] = [e for e in result.all_events if e.event_type_value == "STEP_FAILURE"]
    message = failure.step_failure_data.error.message
    assert "could not read" in message and "funnel" in message and "showConsoleProgress" in message


def test_duckdb_out_of_memory_in_dbt_says_which_setting_to_raise():
    """At national scale two heavy models side by side once exhausted the 4GB cap in a full rebuild: the step's
    error must name the setting and its value, not only DuckDB's 'could not allocate block'."""
    from ingestion.settings import load_settings
    from orchestration.assets.dbt import _with_what_to_do

    dbt_error = RuntimeError("Runtime Error in model qualified_leads (models/marts/qualified_leads.sql)\n"
                             "  Out of Memory Error: could not allocate block of size 256.0 KiB (3.7 GiB/3.7 GiB used)")
    settings = load_settings()
    failure = _with_what_to_do(dbt_error, settings)
    assert isinstance(failure, dg.Failure)
    assert f"LEADS_DUCKDB_MEMORY_LIMIT={settings.duckdb_memory_limit} " in failure.description
    assert "qualified_leads" in failure.description, "dbt's own message follows"
    other = RuntimeError("Database Error in model funnel: syntax error")
    assert _with_what_to_do(other, load_settings()) is other
