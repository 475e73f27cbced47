"""HubSpot through its CRM v3 API, with the maintained client (`hubspot-api-client`).

Pull: contacts, companies and deals, with the properties the mapping seed maps, written to
`crm/hubspot-api-<object>.csv` under those internal names (plus the association columns an export has: "Associated
Company IDs", "Primary Associated Company ID", "Associated Contact IDs", and the owner's name as "Contact owner").
The first pull reads every record (`GET /crm/v3/objects/<object>`, paged with `after`); later ones ask the search API
for the records modified since the high-water mark (`hs_lastmodifieddate`, `lastmodifieddate` for contacts) and merge
them into the file. Associations come from the v4 batch read (1 000 records a call).

Push: the scores as contact properties in their own group (`lead_qualification`), created when missing, through
`POST /crm/v3/objects/contacts/batch/update`, 100 contacts a call.

Rate limits: a private app may make 100 calls per 10 seconds (190 on Professional and Enterprise) and 5 search calls
a second; the client waits before it would pass them, and a 429 is retried after its Retry-After.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from dataclasses import dataclass, field
from pathlib import Path

from hubspot import HubSpot
from hubspot.crm.associations.v4.models import (BatchInputPublicFetchAssociationsBatchRequest,
                                                 PublicFetchAssociationsBatchRequest)
from hubspot.crm.objects import (BatchInputSimplePublicObjectBatchInput, Filter, FilterGroup,
                                 PublicObjectSearchRequest, SimplePublicObjectBatchInput)
from hubspot.crm.properties import (BatchInputPropertyCreate, Option, PropertyCreate, PropertyGroupCreate)

from crm_sync.common import (CrmApiError, ObjectFileWriter, ObjectPull, PullResult, RateLimiter, api_text,
                             fields_to_pull, finish_pull, load_state, needs_full_pull, retry_policy, save_state,
                             utc_text)
from ingestion.warehouse import Log

logger = logging.getLogger(__name__)

DEFAULT_URL = "https://api.hubapi.com"
PAGE_SIZE = 100          # GET /crm/v3/objects/<object>: at most 100 a page
SEARCH_PAGE_SIZE = 200   # the search API: at most 200 a page ...
SEARCH_RESULT_CAP = 10_000  # ... and 10 000 results a query: past that, the query starts again from the last date
ASSOCIATION_BATCH = 1_000
UPDATE_BATCH = 100       # batch update: at most 100 records a call
# The search index lags writes by a few seconds: each incremental pull starts this long before the high-water mark
# (records seen twice are merged by id).
SEARCH_OVERLAP = dt.timedelta(minutes=5)
MODIFIED_PROPERTY = {"contacts": "lastmodifieddate", "companies": "hs_lastmodifieddate", "deals": "hs_lastmodifieddate"}
# association columns of each object's file: (column, associated object, primary association typeId or None for
# the list of every associated id). typeIds: HubSpot-defined association types (contact_to_company = 1, the primary
# company; deal_to_company = 5).
ASSOCIATION_COLUMNS = {
    "contacts": [("Primary Associated Company ID", "companies", 1), ("Associated Company IDs", "companies", None)],
    "deals": [("Primary Associated Company ID", "companies", 5), ("Associated Company IDs", "companies", None),
              ("Associated Contact IDs", "contacts", None)],
    "companies": [],
}
OWNER_COLUMN = "Contact owner"  # the name the contacts export gives the owner (hubspot_owner_id, as a name)
FILE_NAME = "hubspot-api-{object}.csv"

# The contact properties the push writes (group lead_qualification): name -> (label, type, fieldType, options)
PROPERTY_GROUP = "lead_qualification"
PROPERTY_GROUP_LABEL = "Lead qualification"
STATUS_OPTIONS = [("lead", "Lead"), ("mql", "MQL"), ("sql", "SQL"), ("disqualified", "Disqualifié")]
YES_NO = [("true", "Oui"), ("false", "Non")]
PUSHED_PROPERTIES = {
    "lq_lead_score": ("Score du lead", "number", "number", None),
    "lq_fit_score": ("Score d'adéquation (ICP)", "number", "number", None),
    "lq_engagement_score": ("Score d'engagement", "number", "number", None),
    "lq_intent_score": ("Score d'intention", "number", "number", None),
    "lq_status": ("Statut de qualification", "enumeration", "select", STATUS_OPTIONS),
    "lq_sql_source": ("Origine du SQL", "string", "text", None),
    "lq_bant_budget": ("BANT : budget", "enumeration", "booleancheckbox", YES_NO),
    "lq_bant_authority": ("BANT : autorité", "enumeration", "booleancheckbox", YES_NO),
    "lq_bant_need": ("BANT : besoin", "enumeration", "booleancheckbox", YES_NO),
    "lq_bant_timing": ("BANT : calendrier", "enumeration", "booleancheckbox", YES_NO),
    "lq_siren": ("SIREN", "string", "text", None),
    "lq_status_reason": ("Raison du statut", "string", "textarea", None),
}


@dataclass
class HubSpotApi:
    """One portal: the client (pointed at `base_url`, retrying 429 and 5xx) and the pacing of its calls."""
    access_token: str
    base_url: str = DEFAULT_URL
    calls_per_10s: int = 100
    backoff_factor: float = 1.0
    client: HubSpot = field(init=False, repr=False)
    limiter: RateLimiter = field(init=False, repr=False)
    search_limiter: RateLimiter = field(init=False, repr=False)

    def __post_init__(self):
        self.client = HubSpot(access_token=self.access_token, retry=retry_policy(self.backoff_factor),
                              host=self.base_url.rstrip("/"))
        self.limiter = RateLimiter(self.calls_per_10s, 10.0)
        self.search_limiter = RateLimiter(5, 1.0)

    def __repr__(self) -> str:  # the token never reaches a log line or an error
        return f"HubSpotApi(base_url={self.base_url!r})"

    @property
    def calls(self) -> int:
        return self.limiter.count

    def call(self, what: str, method, *args, search: bool = False, **kwargs):
        """One API call, paced; an error becomes a CrmApiError saying what to do (the token is never in it)."""
        if search:
            self.search_limiter.wait()
        self.limiter.wait()
        try:
            return method(*args, **kwargs)
        except Exception as exc:  # the client raises one ApiException class per API package
            status = getattr(exc, "status", None)
            if status is None:
                raise CrmApiError(f"HubSpot {what}: {type(exc).__name__}: {exc} (is {self.base_url} reachable?)") \
                    from None
            raise CrmApiError(f"HubSpot {what}: HTTP {status}. {_advice(status, getattr(exc, 'body', ''))}") from None


def _advice(status: int, body) -> str:
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else str(body or "")
    detail = text[:300]
    if status == 401:
        return ("HUBSPOT_ACCESS_TOKEN was refused: copy the access token of the private app again (Settings → "
                f"Integrations → Private apps). {detail}")
    if status == 403:
        return ("The private app lacks a scope: give it crm.objects.contacts.read, crm.objects.contacts.write, "
                f"crm.objects.companies.read, crm.objects.deals.read, crm.objects.owners.read, crm.schemas.contacts.write. {detail}")
    if status == 429:
        return f"Rate limit still exceeded after the retries: lower LEADS_HUBSPOT_CALLS_PER_10S. {detail}"
    return detail or "no detail in the response"


def _epoch_ms(text: str, before: dt.timedelta = SEARCH_OVERLAP) -> str:
    """A UTC timestamp (`YYYY-MM-DD HH:MM:SS`), `before` earlier, in the milliseconds the search filters take."""
    moment = dt.datetime.fromisoformat(text).replace(tzinfo=dt.timezone.utc) - before
    return str(int(moment.timestamp() * 1000))


def _owner_names(api: HubSpotApi) -> dict[str, str]:
    """Owner id -> "First Last" (GET /crm/v3/owners, paged)."""
    names, after = {}, None
    while True:
        page = api.call("owners", api.client.crm.owners.owners_api.get_page, limit=100, after=after, archived=False)
        for owner in page.results or []:
            name = " ".join(p for p in (owner.first_name, owner.last_name) if p) or owner.email or ""
            names[str(owner.id)] = name
        after = page.paging.next.after if page.paging and page.paging.next else None
        if not after:
            return names


def _associations(api: HubSpotApi, object_type: str, ids: list[str]) -> dict[str, dict[str, str]]:
    """For each record id, the association columns of its file (v4 batch read, 1 000 ids a call)."""
    columns = ASSOCIATION_COLUMNS[object_type]
    values: dict[str, dict[str, str]] = {i: {} for i in ids}
    for to_object in dict.fromkeys(target for _, target, _ in columns):
        for start in range(0, len(ids), ASSOCIATION_BATCH):
            batch = ids[start:start + ASSOCIATION_BATCH]
            request = BatchInputPublicFetchAssociationsBatchRequest(
                inputs=[PublicFetchAssociationsBatchRequest(id=i) for i in batch])
            response = api.call(f"associations {object_type} → {to_object}",
                                api.client.crm.associations.v4.batch_api.get_page,
                                object_type, to_object, request)
            for result in response.results or []:
                from_id = str(result._from.id)
                for column, target, primary_type in columns:
                    if target != to_object:
                        continue
                    targets = [(str(t.to_object_id), {a.type_id for a in t.association_types or []})
                               for t in result.to or []]
                    if primary_type is None:
                        values[from_id][column] = ";".join(i for i, _ in targets)
                    else:
                        values[from_id][column] = next((i for i, types in targets if primary_type in types), "")
    return values


def _pull_object(api: HubSpotApi, crm_dir: Path, object_type: str, state: dict, today: dt.date,
                 owners: dict[str, str] | None, log: Log) -> ObjectPull:
    properties = fields_to_pull("hubspot", object_type)
    if "hs_object_id" not in properties:
        properties.insert(0, "hs_object_id")
    requested = properties + (["hubspot_owner_id"] if object_type == "contacts" else [])
    header = properties + [c for c, _, _ in ASSOCIATION_COLUMNS[object_type]] \
        + ([OWNER_COLUMN] if object_type == "contacts" else [])
    file = crm_dir / FILE_NAME.format(object=object_type)
    object_state = state.setdefault(object_type, {})
    why_full = needs_full_pull(object_state, file, header, today)
    pull = ObjectPull("hubspot", object_type, file, full=why_full is not None, reason=why_full or "changes since "
                      + object_state.get("high_water", ""))
    started, calls_before = time.monotonic(), api.calls
    high_water = object_state.get("high_water", "")
    buffered: list = []

    def flush() -> None:
        associated = _associations(api, object_type, [str(r.id) for r in buffered]) \
            if ASSOCIATION_COLUMNS[object_type] else {}
        for record in buffered:
            row = {name: api_text(record.properties.get(name)) for name in properties}
            row["hs_object_id"] = str(record.id)
            for key in ("createdate", "closedate", "lastmodifieddate", "hs_lastmodifieddate"):
                if row.get(key):
                    row[key] = utc_text(row[key])
            row.update(associated.get(str(record.id), {}))
            if owners is not None:
                row[OWNER_COLUMN] = owners.get(record.properties.get("hubspot_owner_id") or "", "")
            writer.write(row)
        buffered.clear()

    with ObjectFileWriter(file, header, "hs_object_id", full=pull.full) as writer:
        for record in _records(api, object_type, requested, None if pull.full else high_water):
            buffered.append(record)
            updated = utc_text(record.updated_at) if record.updated_at else ""
            high_water = max(high_water, updated)
            if len(buffered) >= ASSOCIATION_BATCH:
                flush()
                log(f"HubSpot {object_type}: {writer.rows:,} records pulled")
        flush()
    return finish_pull(pull, writer, object_state, high_water, today, api.calls - calls_before, started)


def _records(api: HubSpotApi, object_type: str, properties: list[str], modified_since: str | None):
    """Every record (modified_since None), or those modified since then, oldest change first."""
    objects = getattr(api.client.crm, object_type)
    if modified_since is None:
        after = None
        while True:
            page = api.call(f"{object_type} page", objects.basic_api.get_page, limit=PAGE_SIZE, after=after,
                            properties=properties, archived=False)
            yield from page.results or []
            after = page.paging.next.after if page.paging and page.paging.next else None
            if not after:
                return
    modified = MODIFIED_PROPERTY[object_type]
    since_ms, seen_in_query = _epoch_ms(modified_since), 0
    after = None
    while True:
        request = PublicObjectSearchRequest(
            filter_groups=[FilterGroup(filters=[Filter(property_name=modified, operator="GTE", value=since_ms)])],
            sorts=[{"propertyName": modified, "direction": "ASCENDING"}],
            properties=properties, limit=SEARCH_PAGE_SIZE, after=after)
        page = api.call(f"{object_type} search", objects.search_api.do_search, request, search=True)
        results = page.results or []
        yield from results
        seen_in_query += len(results)
        after = page.paging.next.after if page.paging and page.paging.next else None
        if not after:
            return
        if seen_in_query + SEARCH_PAGE_SIZE > SEARCH_RESULT_CAP and results:
            # the query cannot page past 10 000 results: ask again from the last modification seen
            last = results[-1].properties.get(modified) or utc_text(results[-1].updated_at)
            since_ms = _epoch_ms(utc_text(last), before=dt.timedelta(0))
            after, seen_in_query = None, 0


def pull_hubspot(api: HubSpotApi, crm_dir: Path, today: dt.date, log: Log = logger.info) -> PullResult:
    """Contacts, companies and deals into crm_dir, each file replaced only once its whole pull succeeded; the state
    (high-water marks) saved after each object."""
    state = load_state(crm_dir)
    hubspot_state = state.setdefault("hubspot", {})
    result = PullResult()
    calls_before = api.calls
    owners = _owner_names(api)
    for object_type in ("companies", "contacts", "deals"):
        pull = _pull_object(api, crm_dir, object_type, hubspot_state, today, owners, log)
        if object_type == "companies":
            pull.calls += api.calls - calls_before - pull.calls  # the owners' call counted once, here
        result.objects.append(pull)
        save_state(crm_dir, state)
        log(f"HubSpot {object_type}: {pull.records:,} records ({'full pull: ' + pull.reason if pull.full else pull.reason}),"
            f" {pull.calls} calls, {pull.seconds:.1f} s → {pull.file.name}")
    return result


# ---- push -----------------------------------------------------------------------------------------------------------

def ensure_properties(api: HubSpotApi, log: Log = logger.info) -> list[str]:
    """The property group and the lq_* contact properties, created when missing; returns those created."""
    properties = api.client.crm.properties
    groups = api.call("property groups", properties.groups_api.get_all, "contacts")
    if PROPERTY_GROUP not in {g.name for g in groups.results or []}:
        api.call("create property group", properties.groups_api.create, "contacts",
                 PropertyGroupCreate(name=PROPERTY_GROUP, label=PROPERTY_GROUP_LABEL, display_order=-1))
        log(f"HubSpot: property group {PROPERTY_GROUP} created")
    existing = {p.name for p in api.call("contact properties", properties.core_api.get_all, "contacts").results or []}
    missing = [name for name in PUSHED_PROPERTIES if name not in existing]
    if missing:
        inputs = []
        for name in missing:
            label, kind, field_type, options = PUSHED_PROPERTIES[name]
            inputs.append(PropertyCreate(
                name=name, label=label, type=kind, field_type=field_type, group_name=PROPERTY_GROUP,
                options=[Option(label=l, value=v, hidden=False, display_order=i) for i, (v, l) in
                         enumerate(options)] if options else None))
        api.call("create properties", properties.batch_api.create, "contacts", BatchInputPropertyCreate(inputs=inputs))
        log(f"HubSpot: {len(missing)} contact properties created ({', '.join(missing)})")
    return missing


def update_contacts(api: HubSpotApi, changes: dict[str, dict[str, str]]) -> tuple[list[str], dict[str, str]]:
    """Batch update (100 a call); returns the ids HubSpot confirmed and, for the others, its error message. A record
    in a 207's errors is not confirmed, whatever the rest of the batch did."""
    confirmed, failed = [], {}
    ids = list(changes)
    for start in range(0, len(ids), UPDATE_BATCH):
        batch = ids[start:start + UPDATE_BATCH]
        body = BatchInputSimplePublicObjectBatchInput(
            inputs=[SimplePublicObjectBatchInput(id=i, properties=changes[i]) for i in batch])
        try:
            response = api.call("batch update contacts", api.client.crm.contacts.batch_api.update, body)
        except CrmApiError as exc:
            failed.update({i: str(exc) for i in batch})
            continue
        errors = {}
        for error in getattr(response, "errors", None) or []:
            ids_in_error = (error.context or {}).get("ids") or []
            for record_id in ids_in_error:
                errors[str(record_id)] = f"{error.category}: {error.message}"
        ok = {str(r.id) for r in response.results or []}
        for record_id in batch:
            if record_id in ok and record_id not in errors:
                confirmed.append(record_id)
            else:
                failed[record_id] = errors.get(record_id, "not in HubSpot's answer")
    return confirmed, failed
