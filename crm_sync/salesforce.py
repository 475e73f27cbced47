"""Salesforce through its REST API, with `requests` and urllib3's `Retry` (simple-salesforce cannot be pointed at a
local server: it builds `https://<instance>` URLs and logs in only at `*.salesforce.com`).

Authentication: an access token with its instance URL (`SALESFORCE_ACCESS_TOKEN`, `SALESFORCE_INSTANCE_URL`), or the
OAuth 2.0 client credentials flow of a connected app (`SALESFORCE_CLIENT_ID`, `SALESFORCE_CLIENT_SECRET`,
`SALESFORCE_LOGIN_URL`: the org's My Domain, https://<domain>.my.salesforce.com), which also renews an expired token
once (401 INVALID_SESSION_ID).

Pull: Account, Contact, Lead and Opportunity, the fields the mapping seed maps that the org has (`describe`), written to
`crm/salesforce-api-<object>.csv` as a Data Export names its columns, plus `Owner.Name` (the owner, a User or a queue)
for contacts and leads. The first pull is a SOQL `query` paged with `nextRecordsUrl`; later ones use `queryAll` for
`SystemModstamp` after the high-water mark, which also returns the records deleted since (IsDeleted = true, dropped
by staging as in a Data Export). Bulk API 2.0 is left out: the REST query reads 2 000 records a call.

Push: custom fields on Lead and Contact (created by an administrator, see the README), through composite sObject
collections (`PATCH /composite/sobjects`, 200 records a call, allOrNone false: each record succeeds or fails alone).
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

import requests
from requests.adapters import HTTPAdapter

from crm_sync.common import (CrmApiError, ObjectFileWriter, ObjectPull, PullResult, RateLimiter, api_text,
                             fields_to_pull, finish_pull, load_state, needs_full_pull, retry_policy, save_state,
                             utc_text)
from ingestion.warehouse import Log

logger = logging.getLogger(__name__)

API_VERSION = "v62.0"
OBJECTS = {"companies": "Account", "contacts": "Contact", "leads": "Lead", "deals": "Opportunity"}
OWNER_COLUMN = "Owner.Name"
FILE_NAME = "salesforce-api-{object}.csv"
COLLECTION_SIZE = 200  # composite sObject collections: at most 200 records a call
TIMEOUT = (10, 120)

# The custom fields the push writes, on Lead and on Contact: canonical column -> (field API name, type to create)
PUSHED_FIELDS = {
    "lead_score": ("LQ_Lead_Score__c", "Number(3, 0)"),
    "fit_score": ("LQ_Fit_Score__c", "Number(3, 0)"),
    "engagement_score": ("LQ_Engagement_Score__c", "Number(3, 0)"),
    "intent_score": ("LQ_Intent_Score__c", "Number(3, 0)"),
    "status": ("LQ_Status__c", "Text(20)"),
    "sql_source": ("LQ_SQL_Source__c", "Text(40)"),
    "bant_budget": ("LQ_BANT_Budget__c", "Checkbox"),
    "bant_authority": ("LQ_BANT_Authority__c", "Checkbox"),
    "bant_need": ("LQ_BANT_Need__c", "Checkbox"),
    "bant_timing": ("LQ_BANT_Timing__c", "Checkbox"),
    "siren": ("LQ_SIREN__c", "Text(9)"),
    "status_reason": ("LQ_Status_Reason__c", "Text(255)"),
}


@dataclass
class SalesforceApi:
    """One org: a session that retries 429 and 5xx, the token (given, or obtained by client credentials) and the
    pacing of the calls."""
    instance_url: str | None = None
    access_token: str | None = None
    client_id: str | None = None
    client_secret: str | None = None
    login_url: str | None = None
    calls_per_second: float = 25.0
    backoff_factor: float = 1.0
    session: requests.Session = field(init=False, repr=False)
    limiter: RateLimiter = field(init=False, repr=False)

    def __post_init__(self):
        self.session = requests.Session()
        adapter = HTTPAdapter(max_retries=retry_policy(self.backoff_factor))
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)
        self.limiter = RateLimiter(max(1, int(self.calls_per_second)), 1.0)
        if not self.access_token:
            self._authenticate()

    def __repr__(self) -> str:  # the token and the secret never reach a log line or an error
        return f"SalesforceApi(instance_url={self.instance_url!r})"

    @property
    def calls(self) -> int:
        return self.limiter.count

    def _authenticate(self) -> None:
        if not (self.client_id and self.client_secret and self.login_url):
            raise CrmApiError("Salesforce: set SALESFORCE_ACCESS_TOKEN and SALESFORCE_INSTANCE_URL, or "
                              "SALESFORCE_CLIENT_ID, SALESFORCE_CLIENT_SECRET and SALESFORCE_LOGIN_URL (the org's My "
                              "Domain) for a connected app with the client credentials flow enabled")
        self.limiter.wait()
        try:
            response = self.session.post(f"{self.login_url.rstrip('/')}/services/oauth2/token", timeout=TIMEOUT,
                                         data={"grant_type": "client_credentials", "client_id": self.client_id,
                                               "client_secret": self.client_secret})
        except requests.RequestException as exc:
            raise CrmApiError(f"Salesforce login at {self.login_url}: {type(exc).__name__} (is it reachable?)") from None
        if response.status_code != 200:
            raise CrmApiError(f"Salesforce login at {self.login_url}: HTTP {response.status_code} "
                              f"{_error_text(response)}. Check the connected app's consumer key and secret, that "
                              "the client credentials flow is enabled and a run-as user is set.")
        body = response.json()
        self.access_token, self.instance_url = body["access_token"], body.get("instance_url") or self.instance_url

    def request(self, what: str, method: str, path: str, **kwargs) -> requests.Response:
        """One call, paced, with the bearer token; a 401 renews the token once when client credentials are set."""
        url = path if path.startswith("http") else f"{self.instance_url.rstrip('/')}{path}"
        for attempt in (1, 2):
            self.limiter.wait()
            try:
                response = self.session.request(method, url, timeout=TIMEOUT,
                                                headers={"Authorization": f"Bearer {self.access_token}"}, **kwargs)
            except requests.RequestException as exc:
                raise CrmApiError(f"Salesforce {what}: {type(exc).__name__} (is {self.instance_url} reachable?)") \
                    from None
            if response.status_code == 401 and attempt == 1 and self.client_id and self.client_secret:
                self._authenticate()
                continue
            if response.status_code >= 400:
                raise CrmApiError(f"Salesforce {what}: HTTP {response.status_code} {_error_text(response)}. "
                                  + _advice(response.status_code))
            return response
        raise AssertionError("unreachable")

    def describe(self, sobject: str) -> dict[str, dict]:
        response = self.request(f"describe {sobject}", "GET", f"/services/data/{API_VERSION}/sobjects/{sobject}/describe")
        return {f["name"]: f for f in response.json()["fields"]}

    def query(self, soql: str, include_deleted: bool = False):
        """Every record of a SOQL query, page by page (nextRecordsUrl)."""
        endpoint = "queryAll" if include_deleted else "query"
        path = f"/services/data/{API_VERSION}/{endpoint}?q={quote(soql)}"
        while path:
            body = self.request("query", "GET", path).json()
            yield from body.get("records", [])
            path = None if body.get("done", True) else body.get("nextRecordsUrl")


def _error_text(response: requests.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text[:300]
    if isinstance(body, list):
        return "; ".join(f"{e.get('errorCode')}: {e.get('message')}" for e in body if isinstance(e, dict))[:300]
    if isinstance(body, dict):
        return f"{body.get('error', '')}: {body.get('error_description', '')}"[:300]
    return str(body)[:300]


def _advice(status: int) -> str:
    if status == 401:
        return ("The access token expired or was revoked: set SALESFORCE_CLIENT_ID, SALESFORCE_CLIENT_SECRET and "
                "SALESFORCE_LOGIN_URL so that it is renewed, or give a new SALESFORCE_ACCESS_TOKEN.")
    if status == 403:
        return "The user lacks API access or a permission, or the org's daily API limit is reached."
    return ""


def _pull_object(api: SalesforceApi, crm_dir: Path, object_type: str, state: dict, today: dt.date,
                 log: Log) -> ObjectPull:
    sobject = OBJECTS[object_type]
    started, calls_before = time.monotonic(), api.calls
    available = api.describe(sobject)
    wanted = fields_to_pull("salesforce", object_type)
    missing = [f for f in wanted if f not in available]
    if missing:
        log(f"Salesforce {sobject}: {', '.join(missing)} not in this org, left out")
    fields = [f for f in wanted if f in available]
    if "Id" not in fields:
        fields.insert(0, "Id")
    has_owner = object_type in ("contacts", "leads") and "OwnerId" in available
    header = fields + ([OWNER_COLUMN] if has_owner else [])
    file = crm_dir / FILE_NAME.format(object=sobject.lower())
    object_state = state.setdefault(object_type, {})
    why_full = needs_full_pull(object_state, file, header, today)
    pull = ObjectPull("salesforce", object_type, file, full=why_full is not None,
                      reason=why_full or "changes since " + object_state.get("high_water", ""))
    select = ", ".join(dict.fromkeys([*fields, *([OWNER_COLUMN] if has_owner else []), "SystemModstamp"]))
    high_water = object_state.get("high_water", "")
    soql = f"SELECT {select} FROM {sobject}"
    if not pull.full:
        soql += f" WHERE SystemModstamp > {high_water.replace(' ', 'T')}Z"
    soql += " ORDER BY SystemModstamp"
    with ObjectFileWriter(file, header, "Id", full=pull.full) as writer:
        for record in api.query(soql, include_deleted=not pull.full):
            row = {name: api_text(record.get(name)) for name in fields}
            for name in fields:
                if name.endswith("Date") and row[name] and "T" in row[name]:
                    row[name] = utc_text(row[name])
            if has_owner:
                row[OWNER_COLUMN] = api_text((record.get("Owner") or {}).get("Name"))
            writer.write(row)
            if record.get("IsDeleted"):
                pull.deleted += 1
            high_water = max(high_water, utc_text(record.get("SystemModstamp")))
            if writer.rows % 20_000 == 0:
                log(f"Salesforce {sobject}: {writer.rows:,} records pulled")
    return finish_pull(pull, writer, object_state, high_water, today, api.calls - calls_before, started)


def pull_salesforce(api: SalesforceApi, crm_dir: Path, today: dt.date, log: Log = logger.info) -> PullResult:
    state = load_state(crm_dir)
    sf_state = state.setdefault("salesforce", {})
    result = PullResult()
    for object_type in OBJECTS:
        pull = _pull_object(api, crm_dir, object_type, sf_state, today, log)
        result.objects.append(pull)
        save_state(crm_dir, state)
        deleted = f", {pull.deleted:,} deleted" if pull.deleted else ""
        log(f"Salesforce {OBJECTS[object_type]}: {pull.records:,} records{deleted} "
            f"({'full pull: ' + pull.reason if pull.full else pull.reason}), {pull.calls} calls, "
            f"{pull.seconds:.1f} s → {pull.file.name}")
    return result


# ---- push -----------------------------------------------------------------------------------------------------------

def check_fields(api: SalesforceApi) -> None:
    """The custom fields exist and the user may update them, on Lead and Contact; else say which to create."""
    problems = []
    for sobject in ("Lead", "Contact"):
        available = api.describe(sobject)
        for column, (name, kind) in PUSHED_FIELDS.items():
            if name not in available:
                problems.append(f"{sobject}.{name} ({kind}) missing")
            elif not available[name].get("updateable", False):
                problems.append(f"{sobject}.{name} not updateable by this user (field-level security)")
    if problems:
        raise CrmApiError("Salesforce: the score fields are not ready: " + "; ".join(problems)
                          + ". Create them in Setup → Object Manager (README, 'Connecting a real CRM').")


def update_records(api: SalesforceApi, changes: dict[tuple[str, str], dict]) -> tuple[list, dict]:
    """(sobject, id) -> field values, 200 a call; returns the keys Salesforce confirmed and, for the others, its
    errors."""
    confirmed, failed = [], {}
    keys = list(changes)
    for start in range(0, len(keys), COLLECTION_SIZE):
        batch = keys[start:start + COLLECTION_SIZE]
        body = {"allOrNone": False,
                "records": [{"attributes": {"type": sobject}, "id": record_id, **changes[(sobject, record_id)]}
                            for sobject, record_id in batch]}
        try:
            response = api.request("update records", "PATCH", f"/services/data/{API_VERSION}/composite/sobjects",
                                   json=body)
        except CrmApiError as exc:
            failed.update({key: str(exc) for key in batch})
            continue
        results = response.json()
        for key, result in zip(batch, results):
            if result.get("success"):
                confirmed.append(key)
            else:
                failed[key] = "; ".join(f"{e.get('statusCode')}: {e.get('message')}"
                                        for e in result.get("errors") or []) or "failed, no detail"
        for key in batch[len(results):]:
            failed[key] = "not in Salesforce's answer"
    return confirmed, failed
