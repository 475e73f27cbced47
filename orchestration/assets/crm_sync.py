"""The CRM both ways: the API pull before the CRM landing, the score push after the publication."""

import dagster as dg

from crm_sync.pull import hubspot_api, pull_crm, salesforce_api
from crm_sync.push import push_scores
from orchestration.assets.publication import failed_checks_of_run, published_leads
from orchestration.resources import PipelineSettings, WAREHOUSE_POOL, WarehouseResource


def _objects_table(objects) -> str:
    lines = ["| CRM | object | pull | records | calls | seconds | file |", "|---|---|---|---|---|---|---|"]
    lines += [f"| {o.crm_source} | {o.object_type} | {'full' if o.full else 'changes'} | {o.records:,} | {o.calls} | "
              f"{o.seconds:.1f} | {o.file.name} |" for o in objects]
    return "\n".join(lines)


@dg.asset(
    key=["landing", "crm_api"],
    group_name="crm",
    kinds={"hubspot", "salesforce", "python"},
    retry_policy=dg.RetryPolicy(max_retries=2, delay=60, backoff=dg.Backoff.EXPONENTIAL),
    description="HubSpot (contacts, companies, deals, owners) and Salesforce (Account, Contact, Lead, Opportunity) "
                "pulled by API into crm/ of the landing zone as the files their exports would be: in full the first "
                "time and weekly, else only the records changed since the last pull. Skipped, in one log line, "
                "without credentials (HUBSPOT_ACCESS_TOKEN, SALESFORCE_*): the exports in crm/ are landed as they are.",
)
def crm_api_pull(context: dg.AssetExecutionContext, settings: PipelineSettings) -> dg.MaterializeResult:
    result = pull_crm(settings.load(), log=context.log.info)
    if result.skipped:
        return dg.MaterializeResult(metadata={"skipped": result.skipped, "records": 0})
    return dg.MaterializeResult(metadata={
        "records": result.records,
        "calls": result.calls,
        "objects": dg.MetadataValue.md(_objects_table(result.objects)),
    })


@dg.asset(
    pool=WAREHOUSE_POOL,
    key=["crm_sync", "pushed_scores"],
    group_name="publication",
    kinds={"hubspot", "salesforce", "duckdb"},
    deps=[published_leads],
    output_required=False,
    description="The scores written back onto the CRM records (HubSpot contact properties of the lead_qualification "
                "group; custom fields on Salesforce leads and contacts): only those changed since the last confirmed "
                "push, which crm_sync.pushed_scores remembers. LEADS_CRM_PUSH: dry_run (the default) writes the "
                "would-be changes to crm_push_dry_run.csv in LEADS_PUBLISH_DIR, on sends them, off does nothing. "
                "Not run when a check failed earlier in the run.",
)
def crm_pushed_scores(context: dg.AssetExecutionContext, duckdb: WarehouseResource, settings: PipelineSettings):
    loaded = settings.load()
    failed = failed_checks_of_run(context)
    if failed and loaded.crm_push != "off":
        context.log.warning(f"CRM push not run: {len(failed)} check(s) failed in this run ({'; '.join(failed)}); "
                            "the CRM keeps the last pushed scores")
        return
    with duckdb.get_connection() as con:
        result = push_scores(con, loaded.crm_push, hubspot_api=hubspot_api(loaded),
                             salesforce_api_factory=lambda: salesforce_api(loaded),
                             dry_run_file=loaded.publish_dir / "crm_push_dry_run.csv", log=context.log.info)
    if result.failed:
        context.log.warning(f"{len(result.failed):,} lead(s) not pushed after retries; they are sent again next run")
    metadata = {"mode": result.mode, "leads_scored": result.scored, "changed_since_last_push": result.changed,
                "pushed": dg.MetadataValue.json(result.pushed), "refused": len(result.failed),
                "calls": dg.MetadataValue.json(result.calls), "seconds": round(result.seconds, 1)}
    if result.failed:
        rows = "\n".join(f"| {lead} | {message[:200]} |" for lead, message in list(result.failed.items())[:50])
        metadata["refused_leads"] = dg.MetadataValue.md("| lead | error |\n|---|---|\n" + rows)
    if result.skipped:
        metadata["skipped"] = dg.MetadataValue.json(result.skipped)
    if result.dry_run_file:
        metadata["dry_run_file"] = dg.MetadataValue.path(str(result.dry_run_file))
    yield dg.MaterializeResult(metadata=metadata)
