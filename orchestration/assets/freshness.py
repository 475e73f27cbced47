"""Freshness checks: is a source late? Each landing asset's materialisation carries `dagster/last_updated_timestamp`,
when the warehouse last took in new content from that source (raw._load_log), not when the run looked at an
unchanged file; these checks compare it with what each source promises. Warnings: a late source is news for the data
engineer, the scores are still published. The sensor evaluates them every few minutes, and every run that lands
evaluates them too."""

import datetime as dt

import dagster as dg

from ingestion.landing import last_new_content_at

# INSEE publishes the SIRENE stocks on the 1st of each month: a stock older than a month and a couple of days is late
SIRENE_STOCKS = [["raw", "sirene_unites_legales"], ["raw", "sirene_etablissements"]]
MONTHLY = dt.timedelta(days=33)
# the CRM exports and the intent feeds arrive every day; the daily refresh runs at 06:00, so a day and a few hours
DAILY_SOURCES = [["raw", "crm_records"], ["raw", "web_events"], ["raw", "email_events"], ["raw", "signals"],
                 ["raw", "bodacc"]]
DAILY = dt.timedelta(hours=30)

def last_updated_metadata(con, table: str) -> dict:
    """`dagster/last_updated_timestamp` for a landing asset: when raw._load_log last logged new content for `table`
    (nothing before the first load)."""
    landed_at = last_new_content_at(con, table)
    return {} if landed_at is None else {"dagster/last_updated_timestamp": dg.MetadataValue.timestamp(landed_at)}


freshness_checks = [
    *dg.build_last_update_freshness_checks(assets=SIRENE_STOCKS, lower_bound_delta=MONTHLY),
    *dg.build_last_update_freshness_checks(assets=DAILY_SOURCES, lower_bound_delta=DAILY),
]



def freshness_sensor(default_status: dg.DefaultSensorStatus) -> dg.SensorDefinition:
    return dg.build_sensor_for_freshness_checks(freshness_checks=freshness_checks, name="source_freshness_sensor",
                                                minimum_interval_seconds=600, default_status=default_status)
