"""The CRM clients made from the settings, and the pull of every CRM whose credentials are set into the landing
zone's crm/ folder, where the CRM landing reads the pulled files as it reads exports."""

from __future__ import annotations

import logging

from crm_sync.common import PullResult
from crm_sync.hubspot import HubSpotApi, pull_hubspot
from crm_sync.salesforce import SalesforceApi, pull_salesforce
from ingestion.settings import Settings
from ingestion.warehouse import Log

logger = logging.getLogger(__name__)


def hubspot_api(settings: Settings) -> HubSpotApi | None:
    if not settings.hubspot_access_token:
        return None
    return HubSpotApi(settings.hubspot_access_token, settings.hubspot_api_url,
                      calls_per_10s=settings.hubspot_calls_per_10s)


def salesforce_configured(settings: Settings) -> bool:
    return bool((settings.salesforce_access_token and settings.salesforce_instance_url)
                or (settings.salesforce_client_id and settings.salesforce_client_secret
                    and settings.salesforce_login_url))


def salesforce_api(settings: Settings) -> SalesforceApi | None:
    """The client (logging in by client credentials when no access token is set), or None without credentials."""
    if not salesforce_configured(settings):
        return None
    return SalesforceApi(instance_url=settings.salesforce_instance_url,
                         access_token=settings.salesforce_access_token, client_id=settings.salesforce_client_id,
                         client_secret=settings.salesforce_client_secret, login_url=settings.salesforce_login_url)


def pull_crm(settings: Settings, log: Log = logger.info) -> PullResult:
    """Pull HubSpot and Salesforce, each when its credentials are set; says in one line when neither is."""
    crm_dir = settings.landing_dir / "crm"
    result = PullResult()
    hubspot = hubspot_api(settings)
    if hubspot is not None:
        result.objects += pull_hubspot(hubspot, crm_dir, settings.as_of, log).objects
    sf = salesforce_api(settings)
    if sf is not None:
        result.objects += pull_salesforce(sf, crm_dir, settings.as_of, log).objects
    if hubspot is None and sf is None:
        result.skipped = ("no CRM credentials (HUBSPOT_ACCESS_TOKEN, SALESFORCE_*): CRM pull skipped, the exports "
                          f"in {crm_dir} are landed as they are")
        log(result.skipped)
    return result
