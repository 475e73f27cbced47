"""When things run by themselves, all visible and switchable in the Dagster UI (Automation):

- `landing_zone_sensor`: a new or changed file in the landing zone (path, size and SHA-256; the same file never
  triggers twice) starts a run of its landing asset and everything downstream, up to the publication.
- `daily_refresh_schedule`: every day at 06:00 Europe/Paris: unchanged files are skipped by their hash in seconds, the
  event logs take in the new files only, the models and scores are rebuilt for the new as-of date (windows and decay
  move with the date even when no file changed), and the marts are published. Matching CRM companies to the registry
  and the other models that read only the CRM exports, the stock or INPI (CRM companies and their matches, latest
  revenue) are left to the runs those files start (the sensor), and the backtest to its weekly run.
- `weekly_backtest_schedule`: every Monday at 07:00 Europe/Paris, the backtest (26 weekly as-of dates, minutes at
  national scale), the predictive model's training on it and its comparison with the rules, and the report, then the
  publication. A model that beats the rules scores today's leads from the next daily refresh on.
- `source_freshness_sensor`: looks every 10 minutes whether a source is late: the SIRENE stock older than 33 days, the
  CRM exports or a feed with nothing new for 30 hours (warnings on the landing assets' Checks tab).
- `monthly_sirene_stock_schedule`: on the 2nd of each month at 03:00 Europe/Paris, downloads the new SIRENE stock
  (INSEE publishes it on the 1st); the sensor then lands it.

The sensor and the daily schedule run as soon as `dagster-daemon` does; the monthly download starts stopped, since it
needs access to data.gouv.fr. Each can be switched on or off in the UI.
"""

import functools
import json
import operator
import os

import dagster as dg
from dagster_dbt import build_dbt_asset_selection

from ingestion.landing_zone import not_yet_landed, scan_landing_zone
from ingestion.warehouse import WarehouseBusyError, connection_config, open_warehouse
from orchestration.assets.dbt import dbt_asset_defs
from orchestration.assets.freshness import freshness_sensor
from orchestration.assets.matching import crm_company_candidates
from orchestration.assets.prediction import lead_conversion_model
from orchestration.jobs import download_sirene_stock_job
from orchestration.resources import PipelineSettings
from orchestration.run_watchdog import dead_run_watchdog

# LEADS_AUTOMATION=off starts the sensor and the daily schedule stopped (a test or a development instance that must
# run only what it is asked to); they can still be switched on in the UI.
AUTOMATION_ON = os.environ.get("LEADS_AUTOMATION", "on").lower() != "off"
RUNNING_SCHEDULE = dg.DefaultScheduleStatus.RUNNING if AUTOMATION_ON else dg.DefaultScheduleStatus.STOPPED
RUNNING_SENSOR = dg.DefaultSensorStatus.RUNNING if AUTOMATION_ON else dg.DefaultSensorStatus.STOPPED

# Landing assets of each source of the landing zone (ingestion.landing_zone.SOURCE_PATTERNS). The API Sirene day
# files (sirene/updates/) are written by the raw/sirene_updates asset itself, within the daily refresh: not here.
LANDING_ASSETS = {
    "sirene_unites_legales": [["raw", "sirene_unites_legales"]],
    "sirene_etablissements": [["raw", "sirene_etablissements"]],
    "inpi_ratios": [["raw", "inpi_ratios"]],
    # the CRM exports land as one snapshot: the three tables go together
    "crm": [["raw", "crm_records"], ["raw", "crm_erasure_requests"], ["raw", "crm_identifier_checks"],
            ["raw", "crm_date_columns"]],
    "web_events": [["raw", "web_events"]],
    "email_events": [["raw", "email_events"]],
    "signals": [["raw", "signals"]],
    "bodacc": [["raw", "bodacc"]],
}

# The parts of the dbt project with their own schedule, as dbt declares them (dbt_project/selectors.yml): matching's
# inputs and the models that read only the CRM exports, the stock or INPI rerun when those files land (the sensor);
# the backtest weekly. The daily API Sirene updates do not change who a company is, nor its latest accounts. CRM people
# stay in the daily run: an erasure request must take effect on the next run whatever started it.
def dbt_selection(**selection: str) -> dg.AssetSelection:
    """The assets of both dbt steps that a dbt selection (dbt_select=, dbt_selector=) picks."""
    return functools.reduce(operator.or_, (build_dbt_asset_selection([assets], **selection)
                                           for assets in dbt_asset_defs))


MATCHING = dbt_selection(dbt_selector="matching_inputs") | dg.AssetSelection.assets(crm_company_candidates)
REBUILT_WHEN_LANDED = dbt_selection(dbt_selector="rebuilt_when_landed")
# the weekly backtest: its models and the per-date scoring models it replays at its dates
BACKTEST = dbt_selection(dbt_selector="backtest")
# the backtest's own models and the predictive model trained on its rows: nothing daily reads them
BACKTEST_ONLY = dbt_selection(dbt_select="tag:backtest") | dg.AssetSelection.assets(lead_conversion_model)

daily_refresh_job = dg.define_asset_job(
    "daily_refresh",
    selection=dg.AssetSelection.all() - MATCHING - REBUILT_WHEN_LANDED - BACKTEST_ONLY,
    description="Land what changed, take the new events in, rebuild the scores for today's as-of date (and the "
                "predictive model's, when one is in use), publish for BI. Matching and the CRM models run when the "
                "CRM or the stock lands; the backtest and the model's training weekly.",
)

all_assets_job = dg.define_asset_job(
    "all_assets",
    selection=dg.AssetSelection.all(),
    description="Everything, matching and the backtest included: what `make run` materialises.",
)

weekly_backtest_job = dg.define_asset_job(
    "weekly_backtest",
    selection=BACKTEST | dg.AssetSelection.assets(lead_conversion_model, ["published", "leads"],
                                                  ["published", "qualification_report"]),
    description="Replay the scoring at 26 past weekly dates against the deals that followed, retrain the predictive "
                "model on them and compare it with the rules; publish and draw the report. A model that beats the "
                "rules scores from the next daily refresh.",
)

weekly_backtest_schedule = dg.ScheduleDefinition(
    name="weekly_backtest_schedule",
    job=weekly_backtest_job,
    cron_schedule="0 7 * * 1",
    execution_timezone="Europe/Paris",
    default_status=RUNNING_SCHEDULE,
    description="Every Monday at 07:00 Europe/Paris: the backtest, the publication and the report.",
)

daily_refresh_schedule = dg.ScheduleDefinition(
    name="daily_refresh_schedule",
    job=daily_refresh_job,
    cron_schedule="0 6 * * *",
    execution_timezone="Europe/Paris",
    default_status=RUNNING_SCHEDULE,
    description="Every day at 06:00 Europe/Paris: land, rebuild, score and publish.",
)

monthly_sirene_stock_schedule = dg.ScheduleDefinition(
    name="monthly_sirene_stock_schedule",
    job=download_sirene_stock_job,
    cron_schedule="0 3 2 * *",
    execution_timezone="Europe/Paris",
    default_status=dg.DefaultScheduleStatus.STOPPED,
    description="On the 2nd of each month, download the SIRENE stock INSEE published on the 1st; the landing sensor "
                "then lands it. Stopped by default: turn it on where data.gouv.fr is reachable.",
)


@dg.sensor(
    name="landing_zone_sensor",
    minimum_interval_seconds=60,
    default_status=RUNNING_SENSOR,
    asset_selection=dg.AssetSelection.all(),
    description="Starts a run of the landing asset of each new or changed file (by path, size and SHA-256) and of "
                "everything downstream.",
)
def landing_zone_sensor(context: dg.SensorEvaluationContext, settings: PipelineSettings) -> dg.SensorResult:
    loaded = settings.load()
    landing_dir = loaded.landing_dir
    known = json.loads(context.cursor) if context.cursor else {}
    state, changed = scan_landing_zone(landing_dir, known)
    if changed and (loaded.is_motherduck or loaded.duckdb_path.exists()):
        # what the warehouse already holds never starts a run (a first tick after `make run`, a reset cursor)
        try:
            with open_warehouse(str(loaded.duckdb_path), connection_config(loaded), read_only=True, wait_s=0) as con:
                changed = not_yet_landed(con, landing_dir, changed, state)
        except WarehouseBusyError as busy:  # a run is writing: it may be landing these very files; look again later
            return dg.SensorResult(skip_reason=f"{busy}; looking again at the next tick")
    if not changed:
        return dg.SensorResult(skip_reason=f"nothing new in {landing_dir}", cursor=json.dumps(state))
    keys = [dg.AssetKey(path) for source in sorted(changed) for path in LANDING_ASSETS.get(source, [])]
    files = sorted(f for paths in changed.values() for f in paths)
    if not keys:
        return dg.SensorResult(skip_reason=f"changed files are landed by the daily refresh: {files}",
                               cursor=json.dumps(state))
    context.log.info(f"new or changed in {landing_dir}: {', '.join(files)}")
    selection = dg.AssetSelection.assets(*keys).downstream().resolve(context.repository_def.asset_graph)
    # the run key names each file by its hash: the same files never start a second run
    request = dg.RunRequest(run_key="|".join(f"{f}:{state[f]['sha256'][:16]}" for f in files),
                            asset_selection=list(selection),
                            tags={"trigger": "landing_zone", "files": ", ".join(files)[:200]})
    return dg.SensorResult(run_requests=[request], cursor=json.dumps(state))


schedules = [daily_refresh_schedule, weekly_backtest_schedule, monthly_sirene_stock_schedule]
sensors = [landing_zone_sensor, dead_run_watchdog, freshness_sensor(RUNNING_SENSOR)]
jobs = [daily_refresh_job, weekly_backtest_job, all_assets_job]
