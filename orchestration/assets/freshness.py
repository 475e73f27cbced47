"""Source freshness: is a source late? Each landing asset's materialisation carries `dagster/last_updated_timestamp`,
when the warehouse last took in new content from that source (raw._load_log), not when a run looked at an unchanged
file. The check `source_is_fresh` of each landing asset compares it with what the source promises. Warnings: a late
source is news for the data engineer, the scores are still published.

Dagster's freshness policies judge an asset by its last materialisation, and a landing asset materialises on every
daily run whether or not its file changed: they would call a stock INSEE stopped publishing "fresh". Hence these
checks, which read when new content last landed. Every run that lands evaluates them; between runs, the
`source_freshness_sensor` evaluates a source's check once its deadline passes (once per deadline, not every tick)."""

import dataclasses
import datetime as dt
import json
import time

import dagster as dg

from ingestion.landing import last_new_content_at

LAST_UPDATED = "dagster/last_updated_timestamp"
CHECK_NAME = "source_is_fresh"


@dataclasses.dataclass(frozen=True)
class Promise:
    """How often a source brings something new, and what the data engineer should look at when it is late."""
    max_age: dt.timedelta
    cadence: str
    look_at: str


# INSEE publishes the SIRENE stocks on the 1st of each month: a stock older than a month and a couple of days is late
MONTHLY = Promise(dt.timedelta(days=33), "monthly (INSEE publishes the stock on the 1st)",
                  "the monthly_sirene_stock_schedule's last tick and the landing zone's sirene/ folder")
# the CRM exports and the intent feeds arrive every day; the daily refresh runs at 06:00, so a day and a few hours
DAILY = Promise(dt.timedelta(hours=30), "daily",
                "the export or webhook job that drops this source's files into the landing zone")
SOURCES = {
    dg.AssetKey(["raw", "sirene_unites_legales"]): MONTHLY, dg.AssetKey(["raw", "sirene_etablissements"]): MONTHLY,
    **{dg.AssetKey(["raw", table]): DAILY for table in ("crm_records", "web_events", "email_events", "signals", "bodacc")},
}


def last_updated_metadata(con, table: str) -> dict:
    """`dagster/last_updated_timestamp` for a landing asset: when raw._load_log last logged new content for `table`
    (nothing before the first load)."""
    landed_at = last_new_content_at(con, table)
    return {} if landed_at is None else {LAST_UPDATED: dg.MetadataValue.timestamp(landed_at)}


def last_new_content(instance: dg.DagsterInstance, key: dg.AssetKey) -> float | None:
    """When the latest materialisation of a landing asset says new content last landed (Unix seconds), or None."""
    event = instance.get_latest_materialization_event(key)
    value = event.asset_materialization.metadata.get(LAST_UPDATED) if event and event.asset_materialization else None
    return None if value is None else float(value.value)


def _age(seconds: float) -> str:
    return f"{seconds / 86400:.1f} days" if seconds >= 2 * 86400 else f"{seconds / 3600:.1f} hours"


def freshness_result(key: dg.AssetKey, promise: Promise, landed_at: float | None, now: float) -> dg.AssetCheckResult:
    source = key.path[-1]
    if landed_at is None:
        return dg.AssetCheckResult(
            passed=False, severity=dg.AssetCheckSeverity.WARN,
            description=f"nothing has landed in {source} yet; expected {promise.cadence}. Look at {promise.look_at}.")
    age = now - landed_at
    late = age > promise.max_age.total_seconds()
    description = (f"{source} last brought new content {_age(age)} ago "
                   f"({dt.datetime.fromtimestamp(landed_at, dt.timezone.utc):%Y-%m-%d %H:%M} UTC); "
                   f"expected {promise.cadence}, late after {_age(promise.max_age.total_seconds())}")
    if late:
        description += f". Look at {promise.look_at}."
    return dg.AssetCheckResult(
        passed=not late, severity=dg.AssetCheckSeverity.WARN, description=description,
        metadata={"last_new_content_at": dg.MetadataValue.timestamp(landed_at),
                  "age_hours": round(age / 3600, 1), "late_after_hours": promise.max_age.total_seconds() / 3600})


def _source_check(key: dg.AssetKey, promise: Promise) -> dg.AssetChecksDefinition:
    @dg.asset_check(asset=key, name=CHECK_NAME,
                    description=f"New content lands from {key.path[-1]} {promise.cadence}: warns when the last new "
                                f"content is older than {_age(promise.max_age.total_seconds())}.")
    def source_is_fresh(context: dg.AssetCheckExecutionContext) -> dg.AssetCheckResult:
        return freshness_result(key, promise, last_new_content(context.instance, key), time.time())

    return source_is_fresh


freshness_checks = [_source_check(key, promise) for key, promise in SOURCES.items()]


def freshness_sensor(default_status: dg.DefaultSensorStatus) -> dg.SensorDefinition:
    @dg.sensor(name="source_freshness_sensor", minimum_interval_seconds=600, default_status=default_status,
               asset_selection=dg.AssetSelection.checks(*(dg.AssetCheckKey(key, CHECK_NAME) for key in SOURCES)),
               description="Evaluates a landing asset's source_is_fresh check when its source's deadline passes "
                           "with nothing new landed (once per deadline).")
    def source_freshness_sensor(context: dg.SensorEvaluationContext) -> dg.SensorResult:
        evaluated = json.loads(context.cursor) if context.cursor else {}
        now, due = time.time(), []
        for key, promise in SOURCES.items():
            landed_at = last_new_content(context.instance, key)
            if landed_at is None:  # never landed: the landing sensor and the first run come first
                continue
            deadline = landed_at + promise.max_age.total_seconds()
            if now > deadline and evaluated.get(key.to_user_string()) != deadline:
                due.append(dg.AssetCheckKey(key, CHECK_NAME))
                evaluated[key.to_user_string()] = deadline
        if not due:
            return dg.SensorResult(skip_reason="every source is within its promise, or already reported late",
                                   cursor=json.dumps(evaluated))
        return dg.SensorResult(run_requests=[dg.RunRequest(asset_check_keys=due, asset_selection=[],
                                                           tags={"trigger": "source_freshness"})],
                               cursor=json.dumps(evaluated))

    return source_freshness_sensor
