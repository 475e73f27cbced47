"""Local stand-ins for HubSpot and Salesforce on a pytest-httpserver, following their API references: the request
paths, bodies, paging and answers (errors included) that crm_sync uses.

HubSpot (developers.hubspot.com/docs/api-reference/crm-*-v3): GET /crm/v3/objects/<object> paged with `after`;
POST .../search (filterGroups, sorts, at most 200 a page and 10 000 results a query); POST
/crm/v4/associations/<from>/<to>/batch/read (207 when some records have none); GET /crm/v3/owners/; property groups
and properties; POST /crm/v3/objects/contacts/batch/update (100 inputs, 207 multi-status, 429 with Retry-After);
401 without the token.

Salesforce (developer.salesforce.com/docs/atlas.en-us.api_rest.meta): POST /services/oauth2/token (client
credentials); GET /services/data/vXX.X/sobjects/<Object>/describe; GET .../query and .../queryAll with
`nextRecordsUrl`; PATCH .../composite/sobjects (200 records, allOrNone, one result per record); 401
INVALID_SESSION_ID on an expired token.
"""

from __future__ import annotations

import collections
import datetime as dt
import json
import re
from urllib.parse import parse_qs, unquote

from werkzeug import Request, Response

EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)


def _iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _json(body, status: int = 200, headers: dict | None = None) -> Response:
    return Response(json.dumps(body), status=status, headers=headers or {}, content_type="application/json")


def _hubspot_error(status: int, category: str, message: str, ids: list[str] | None = None) -> dict:
    return {"status": "error", "category": category, "message": message, "correlationId": "f4c3b00c-0000",
            "context": {"ids": ids} if ids is not None else {}, "links": {}, "errors": []}


class FakeHubSpot:
    """One portal in memory: records[object][id] = {"properties": {...}, "updatedAt": datetime}."""

    MODIFIED = {"contacts": "lastmodifieddate", "companies": "hs_lastmodifieddate", "deals": "hs_lastmodifieddate"}
    PRIMARY = {("contacts", "companies"): 1, ("deals", "companies"): 5}
    UNLABELED = {("contacts", "companies"): 279, ("deals", "companies"): 341, ("deals", "contacts"): 3}

    def __init__(self, token: str = "pat-eu1-test-token"):
        self.token = token
        self.records: dict[str, dict[str, dict]] = {"contacts": {}, "companies": {}, "deals": {}}
        # associations[(from, to)][from id] = [(to id, primary)]
        self.associations: dict[tuple[str, str], dict[str, list[tuple[str, bool]]]] = collections.defaultdict(dict)
        self.owners = [{"id": "101", "email": "claire.martin@example.fr", "type": "PERSON", "firstName": "Claire",
                        "lastName": "Martin", "userId": 1, "archived": False,
                        "createdAt": "2025-01-06T09:00:00.000Z", "updatedAt": "2025-01-06T09:00:00.000Z"}]
        self.groups = [{"name": "contactinformation", "label": "Contact information", "displayOrder": -1,
                        "archived": False}]
        self.properties = [self._property("email", "Email", "contactinformation")]
        self.calls: collections.Counter[str] = collections.Counter()
        self.updates: list[dict] = []           # every batch update body received
        self.refuse_once: set[str] = set()      # contact ids refused (207) the first time they are updated
        self.refuse_always: set[str] = set()
        self.rate_limited_calls = 0              # the next n calls get a 429 with Retry-After
        self.page_size_cap = 100
        self.now = dt.datetime(2026, 11, 26, 6, 0, tzinfo=dt.timezone.utc)

    @staticmethod
    def _property(name: str, label: str, group: str, kind: str = "string", field_type: str = "text",
                  options: list | None = None) -> dict:
        return {"name": name, "label": label, "type": kind, "fieldType": field_type, "groupName": group,
                "description": "", "options": options or [], "displayOrder": 0, "calculated": False,
                "externalOptions": False, "hasUniqueValue": False, "hidden": False, "formField": True}

    # ---- the data ----
    def add(self, object_type: str, record_id: str, properties: dict, updated_at: dt.datetime | None = None) -> None:
        updated_at = updated_at or self.now
        props = {k: ("" if v is None else str(v)) for k, v in properties.items()}
        props["hs_object_id"] = record_id
        props[self.MODIFIED[object_type]] = _iso(updated_at)
        props.setdefault("createdate", _iso(updated_at))
        self.records[object_type][record_id] = {"properties": props, "updatedAt": updated_at}

    def associate(self, from_type: str, from_id: str, to_type: str, to_id: str, primary: bool = False) -> None:
        self.associations[(from_type, to_type)].setdefault(from_id, []).append((to_id, primary))

    def _object(self, object_type: str, record_id: str, wanted: list[str] | None) -> dict:
        record = self.records[object_type][record_id]
        props = record["properties"]
        defaults = {"hs_object_id", "createdate", self.MODIFIED[object_type]}
        chosen = {k: props.get(k) for k in (wanted or [])} | {k: props.get(k) for k in defaults}
        created = props.get("createdate") or _iso(record["updatedAt"])
        return {"id": record_id, "properties": chosen, "createdAt": created, "updatedAt": _iso(record["updatedAt"]),
                "archived": False}

    # ---- the server ----
    def install(self, httpserver) -> "FakeHubSpot":
        httpserver.expect_request(re.compile(r"^/crm/.*")).respond_with_handler(self.handle)
        return self

    def handle(self, request: Request) -> Response:
        path = request.path
        self.calls[f"{request.method} {re.sub(r'/[0-9]+', '/<id>', path)}"] += 1
        if request.headers.get("Authorization") != f"Bearer {self.token}":
            return _json(_hubspot_error(401, "INVALID_AUTHENTICATION", "Authentication credentials not found. This "
                                        "API supports OAuth 2.0 authentication."), 401)
        if self.rate_limited_calls:
            self.rate_limited_calls -= 1
            return _json({"status": "error", "message": "You have reached your ten_secondly_rolling limit.",
                          "errorType": "RATE_LIMIT", "correlationId": "c0ffee", "policyName": "TEN_SECONDLY_ROLLING"},
                         429, {"Retry-After": "1"})
        body = request.get_json(silent=True) or {}
        if m := re.fullmatch(r"/crm/v3/objects/(contacts|companies|deals)", path):
            return self._page(m[1], request.args)
        if m := re.fullmatch(r"/crm/v3/objects/(contacts|companies|deals)/search", path):
            return self._search(m[1], body)
        if m := re.fullmatch(r"/crm/v4/associations/(\w+)/(\w+)/batch/read", path):
            return self._associations(m[1], m[2], body)
        if path in ("/crm/v3/owners/", "/crm/v3/owners"):
            return _json({"results": self.owners})
        if path == "/crm/v3/properties/contacts/groups":
            if request.method == "POST":
                group = {**body, "archived": False}
                self.groups.append(group)
                return _json(group, 201)
            return _json({"results": self.groups})
        if path == "/crm/v3/properties/contacts":
            return _json({"results": self.properties})
        if path == "/crm/v3/properties/contacts/batch/create":
            created = [self._property(p["name"], p["label"], p["groupName"], p["type"], p["fieldType"],
                                      p.get("options")) for p in body["inputs"]]
            self.properties += created
            return _json({"status": "COMPLETE", "results": created, "startedAt": _iso(self.now),
                          "completedAt": _iso(self.now)}, 201)
        if path == "/crm/v3/objects/contacts/batch/update":
            return self._batch_update(body)
        return _json(_hubspot_error(404, "OBJECT_NOT_FOUND", f"no route {path}"), 404)

    def _page(self, object_type: str, args) -> Response:
        limit = min(int(args.get("limit", 10)), self.page_size_cap)
        after = int(args.get("after") or 0)
        wanted = [p for v in args.getlist("properties") for p in v.split(",") if p]
        ids = sorted(self.records[object_type], key=int)
        page = ids[after:after + limit]
        body = {"results": [self._object(object_type, i, wanted) for i in page]}
        if after + limit < len(ids):
            body["paging"] = {"next": {"after": str(after + limit), "link": "..."}}
        return _json(body)

    def _search(self, object_type: str, body: dict) -> Response:
        limit = body.get("limit", 10)
        if limit > 200:
            return _json(_hubspot_error(400, "VALIDATION_ERROR", "limit must be at most 200"), 400)
        after = int(body.get("after") or 0)
        if after >= 10_000:
            return _json(_hubspot_error(400, "VALIDATION_ERROR", "after: must be less than 10000"), 400)
        since = None
        for group in body.get("filterGroups", []):
            for f in group["filters"]:
                if f["propertyName"] != self.MODIFIED[object_type] or f["operator"] != "GTE":
                    return _json(_hubspot_error(400, "VALIDATION_ERROR", f"unexpected filter {f}"), 400)
                since = EPOCH + dt.timedelta(milliseconds=int(f["value"]))
        matching = sorted((r["updatedAt"], int(i)) for i, r in self.records[object_type].items()
                          if since is None or r["updatedAt"] >= since)
        page = matching[after:after + limit]
        result = {"total": len(matching),
                  "results": [self._object(object_type, str(i), body.get("properties")) for _, i in page]}
        if after + limit < len(matching):
            result["paging"] = {"next": {"after": str(after + limit)}}
        return _json(result)

    def _associations(self, from_type: str, to_type: str, body: dict) -> Response:
        results, errors = [], []
        links = self.associations.get((from_type, to_type), {})
        for item in body["inputs"]:
            from_id = item["id"]
            if from_id not in links:
                errors.append(_hubspot_error(404, "OBJECT_NOT_FOUND",
                                             f"No {to_type} is associated with {from_type} {from_id}.", [from_id]))
                continue
            to = []
            for to_id, primary in links[from_id]:
                types = [{"category": "HUBSPOT_DEFINED", "typeId": self.UNLABELED.get((from_type, to_type), 1),
                          "label": None}]
                if primary:
                    types.insert(0, {"category": "HUBSPOT_DEFINED", "typeId": self.PRIMARY[(from_type, to_type)],
                                     "label": "Primary"})
                to.append({"toObjectId": int(to_id), "associationTypes": types})
            results.append({"from": {"id": from_id}, "to": to})
        body = {"status": "COMPLETE", "results": results, "startedAt": _iso(self.now), "completedAt": _iso(self.now)}
        if errors:
            body |= {"numErrors": len(errors), "errors": errors}
        return _json(body, 207 if errors else 200)

    def _batch_update(self, body: dict) -> Response:
        inputs = body.get("inputs", [])
        if len(inputs) > 100:
            return _json(_hubspot_error(400, "VALIDATION_ERROR", "inputs: at most 100"), 400)
        known = {p["name"] for p in self.properties}
        for item in inputs:
            unknown = set(item["properties"]) - known
            if unknown:
                return _json(_hubspot_error(400, "VALIDATION_ERROR",
                                            f"Property values were not valid: {sorted(unknown)} do not exist"), 400)
        self.updates.append(body)
        results, refused = [], []
        for item in inputs:
            record_id = item["id"]
            if record_id in self.refuse_always or record_id in self.refuse_once \
                    or record_id not in self.records["contacts"]:
                self.refuse_once.discard(record_id)
                refused.append(record_id)
                continue
            record = self.records["contacts"][record_id]
            record["properties"].update(item["properties"])
            results.append({"id": record_id, "properties": item["properties"], "createdAt": _iso(self.now),
                            "updatedAt": _iso(self.now), "archived": False})
        answer = {"status": "COMPLETE", "results": results, "startedAt": _iso(self.now),
                  "completedAt": _iso(self.now)}
        if refused:
            answer |= {"numErrors": len(refused),
                       "errors": [_hubspot_error(409, "CONFLICT", "Contact is being merged, try again", [i])
                                  for i in refused]}
            return _json(answer, 207)
        return _json(answer)

    def pushed_contact_ids(self) -> list[str]:
        return [item["id"] for body in self.updates for item in body["inputs"]]


class FakeSalesforce:
    """One org in memory: records[sobject][id] = {field: value}, with SystemModstamp a datetime."""

    FIELDS = {
        "Account": ["Id", "Name", "Website", "BillingPostalCode", "BillingCity", "NumberOfEmployees", "AnnualRevenue",
                    "Industry", "CreatedDate", "IsDeleted", "SystemModstamp", "SIREN__c", "SIRET__c", "VAT_Number__c"],
        "Contact": ["Id", "AccountId", "FirstName", "LastName", "Email", "Title", "HasOptedOutOfEmail",
                    "MailingPostalCode", "CreatedDate", "IsDeleted", "IsEmailBounced", "DoNotCall", "OwnerId",
                    "SystemModstamp"],
        "Lead": ["Id", "FirstName", "LastName", "Email", "Title", "Company", "Website", "PostalCode",
                 "NumberOfEmployees", "AnnualRevenue", "Status", "IsConverted", "ConvertedAccountId",
                 "ConvertedContactId", "ConvertedDate", "HasOptedOutOfEmail", "CreatedDate", "IsDeleted",
                 "IsEmailBounced", "DoNotCall", "OwnerId", "SystemModstamp", "SIRET__c", "SIREN__c"],
        "Opportunity": ["Id", "AccountId", "Name", "StageName", "Amount", "CloseDate", "IsClosed", "IsWon",
                        "CreatedDate", "IsDeleted", "ContactId", "SystemModstamp"],
    }
    SCORE_FIELDS = ["LQ_Lead_Score__c", "LQ_Fit_Score__c", "LQ_Engagement_Score__c", "LQ_Intent_Score__c",
                    "LQ_Status__c", "LQ_SQL_Source__c", "LQ_BANT_Budget__c", "LQ_BANT_Authority__c", "LQ_BANT_Need__c",
                    "LQ_BANT_Timing__c", "LQ_SIREN__c", "LQ_Status_Reason__c"]

    def __init__(self, client_id: str = "3MVG9test", client_secret: str = "s3cr3t-consumer",
                 with_score_fields: bool = True):
        self.client_id, self.client_secret = client_id, client_secret
        self.valid_tokens: set[str] = set()
        self.tokens_issued = 0
        self.fields = {sobject: list(names) for sobject, names in self.FIELDS.items()}  # this org's fields
        self.records: dict[str, dict[str, dict]] = {s: {} for s in self.FIELDS}
        self.owners = {"005000000000001AAA": "Julien Bernard"}
        self.with_score_fields = with_score_fields
        self.page_size = 2000
        self.calls: collections.Counter[str] = collections.Counter()
        self.queries: list[str] = []
        self.updates: list[dict] = []
        self.lock_once: set[str] = set()   # record ids refused once with UNABLE_TO_LOCK_ROW
        self.cursors: dict[str, list[dict]] = {}
        self.now = dt.datetime(2026, 11, 26, 6, 0, tzinfo=dt.timezone.utc)
        self.base = ""

    def add(self, sobject: str, record_id: str, fields: dict, modified: dt.datetime | None = None,
            deleted: bool = False) -> None:
        record = {"Id": record_id, **fields, "IsDeleted": deleted, "SystemModstamp": modified or self.now}
        if sobject in ("Contact", "Lead"):
            record.setdefault("OwnerId", next(iter(self.owners)))
        self.records[sobject][record_id] = record

    def issue_token(self) -> str:
        self.tokens_issued += 1
        token = f"00D000000000001!AQ4AQ{self.tokens_issued:04d}"
        self.valid_tokens.add(token)
        return token

    def install(self, httpserver) -> "FakeSalesforce":
        self.base = httpserver.url_for("").rstrip("/")
        httpserver.expect_request(re.compile(r"^/services/.*")).respond_with_handler(self.handle)
        return self

    def handle(self, request: Request) -> Response:
        path = request.path
        self.calls[f"{request.method} {re.sub(r'/query/[^/]+', '/query/<cursor>', path)}"] += 1
        if path == "/services/oauth2/token":
            form = parse_qs(request.get_data(as_text=True))
            if form.get("grant_type") != ["client_credentials"] or form.get("client_id") != [self.client_id] \
                    or form.get("client_secret") != [self.client_secret]:
                return _json({"error": "invalid_client", "error_description": "invalid client credentials"}, 400)
            return _json({"access_token": self.issue_token(), "instance_url": self.base, "token_type": "Bearer",
                          "id": f"{self.base}/id/00D000000000001/005000000000001", "issued_at": "1764136800000",
                          "signature": "c2lnbmF0dXJl"})
        auth = request.headers.get("Authorization", "")
        if not auth.startswith("Bearer ") or auth[7:] not in self.valid_tokens:
            return _json([{"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}], 401)
        if m := re.fullmatch(r"/services/data/v\d+\.\d/sobjects/(\w+)/describe", path):
            return self._describe(m[1])
        if m := re.fullmatch(r"/services/data/v\d+\.\d/(query|queryAll)", path):
            return self._query(unquote(request.args["q"]), m[1] == "queryAll")
        if m := re.fullmatch(r"/services/data/v\d+\.\d/(query|queryAll)/([^/]+)", path):
            return self._next_page(m[2])
        if re.fullmatch(r"/services/data/v\d+\.\d/composite/sobjects", path) and request.method == "PATCH":
            return self._update(request.get_json())
        return _json([{"message": f"The requested resource does not exist: {path}", "errorCode": "NOT_FOUND"}], 404)

    def _describe(self, sobject: str) -> Response:
        if sobject not in self.fields:
            return _json([{"message": "The requested resource does not exist", "errorCode": "NOT_FOUND"}], 404)
        names = list(self.fields[sobject])
        if sobject in ("Lead", "Contact") and self.with_score_fields:
            names += self.SCORE_FIELDS
        return _json({"name": sobject, "fields": [
            {"name": n, "type": "id" if n == "Id" else "string", "updateable": n.startswith("LQ_")} for n in names]})

    def _query(self, soql: str, include_deleted: bool) -> Response:
        self.queries.append(soql)
        m = re.fullmatch(r"SELECT (.+) FROM (\w+)(?: WHERE SystemModstamp > (\S+))? ORDER BY SystemModstamp", soql)
        if not m:
            return _json([{"message": f"unexpected query {soql}", "errorCode": "MALFORMED_QUERY"}], 400)
        fields, sobject, since = [f.strip() for f in m[1].split(",")], m[2], m[3]
        unknown = [f for f in fields if f not in self.fields[sobject] and f != "Owner.Name"]
        if unknown:
            return _json([{"message": f"No such column '{unknown[0]}' on entity '{sobject}'",
                           "errorCode": "INVALID_FIELD"}], 400)
        since_at = dt.datetime.fromisoformat(since.replace("Z", "+00:00")) if since else None
        rows = sorted((r for r in self.records[sobject].values()
                       if (include_deleted or not r["IsDeleted"])
                       and (since_at is None or r["SystemModstamp"] > since_at)), key=lambda r: r["SystemModstamp"])
        records = [self._record(sobject, r, fields) for r in rows]
        cursor = f"01g{len(self.cursors):012d}"
        self.cursors[cursor] = records
        return self._page(cursor, 0)

    def _record(self, sobject: str, row: dict, fields: list[str]) -> dict:
        out = {"attributes": {"type": sobject, "url": f"/services/data/v62.0/sobjects/{sobject}/{row['Id']}"}}
        for f in fields:
            if f == "Owner.Name":
                out["Owner"] = {"attributes": {"type": "Name"}, "Name": self.owners.get(row.get("OwnerId"))}
            elif f == "SystemModstamp":
                out[f] = row[f].strftime("%Y-%m-%dT%H:%M:%S.000+0000")
            else:
                out[f] = row.get(f)
        return out

    def _page(self, cursor: str, start: int) -> Response:
        records = self.cursors[cursor]
        page = records[start:start + self.page_size]
        done = start + self.page_size >= len(records)
        body = {"totalSize": len(records), "done": done, "records": page}
        if not done:
            body["nextRecordsUrl"] = f"/services/data/v62.0/query/{cursor}-{start + self.page_size}"
        return _json(body)

    def _next_page(self, locator: str) -> Response:
        cursor, start = locator.rsplit("-", 1)
        return self._page(cursor, int(start))

    def _update(self, body: dict) -> Response:
        records = body.get("records", [])
        if len(records) > 200:
            return _json([{"message": "Maximum number of records is 200", "errorCode": "EXCEEDED_ID_LIMIT"}], 400)
        self.updates.append(body)
        results = []
        for record in records:
            sobject, record_id = record["attributes"]["type"], record["id"]
            unknown = [k for k in record if k not in ("attributes", "id") and k not in self.SCORE_FIELDS]
            if record_id in self.lock_once:
                self.lock_once.discard(record_id)
                results.append({"success": False, "errors": [{"statusCode": "UNABLE_TO_LOCK_ROW", "message":
                                "unable to obtain exclusive access to this record", "fields": []}]})
            elif record_id not in self.records.get(sobject, {}):
                results.append({"success": False, "errors": [{"statusCode": "ENTITY_IS_DELETED", "message":
                                "entity is deleted", "fields": []}]})
            elif unknown or not self.with_score_fields:
                results.append({"success": False, "errors": [{"statusCode": "INVALID_FIELD", "message":
                                f"No such column '{unknown[0] if unknown else ''}' on sobject of type {sobject}",
                                "fields": unknown}]})
            else:
                self.records[sobject][record_id].update({k: v for k, v in record.items() if k.startswith("LQ_")})
                results.append({"id": record_id, "success": True, "errors": []})
        return _json(results)

    def pushed_ids(self) -> list[str]:
        return [r["id"] for body in self.updates for r in body["records"]]


def _iso_date(value) -> str | None:
    return None if value is None else f"{value.isoformat()}T00:00:00.000Z"


def _sf_datetime(value) -> str | None:
    return None if value is None else f"{value.isoformat()}T00:00:00.000+0000"


def seed_from_staging(con, hubspot: FakeHubSpot, salesforce: FakeSalesforce) -> None:
    """Fill both stand-ins with the CRM records a warehouse's staging models hold (as the exports gave them), in the
    API's own formats: internal property names and values, ISO timestamps, true/false, numbers."""
    def records(sql: str):
        cursor = con.execute(sql)
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row)) for row in cursor.fetchall()]

    def text(value):
        return None if value is None else str(value)

    for c in records("select * from staging.stg_crm__companies where crm_source = 'hubspot'"):
        hubspot.add("companies", c["crm_company_id"], {
            "name": c["company_name"], "domain": c["domain"], "zip": c["postal_code"], "city": c["city"],
            "numberofemployees": text(c["employees"]), "annualrevenue": text(c["annual_revenue_eur"]),
            "createdate": _iso_date(c["created_date"]), "lifecyclestage": c["lifecycle_stage"],
            "siren": c["siren_raw"], "siret": c["siret_raw"], "vat_number": c["vat_raw"]})
    people = records("select * from staging.stg_crm__people")
    owner_ids = {name: str(200 + i) for i, name in enumerate(sorted({p["owner_name"] for p in people
                                                                    if p.get("owner_name")}))}
    hubspot.owners = [{**hubspot.owners[0], "id": i, "firstName": name.split(" ", 1)[0],
                       "lastName": name.split(" ", 1)[1] if " " in name else None, "email": f"owner{i}@example.fr"}
                      for name, i in owner_ids.items()]
    salesforce.owners = {f"005{i:0>15}": name for name, i in owner_ids.items()}
    for p in (p for p in people if p["crm_source"] == "hubspot"):
        hubspot.add("contacts", p["crm_person_id"], {
            "firstname": p["first_name"], "lastname": p["last_name"], "email": p["email"],
            "jobtitle": p["job_title"], "lifecyclestage": p["lifecycle_stage"], "hs_lead_status": p["lead_status"],
            "hs_email_optout": str(p["email_opt_out"]).lower(), "company": p["company_name"],
            "zip": p["postal_code"], "createdate": _iso_date(p["created_date"]),
            "hubspot_owner_id": owner_ids.get(p.get("owner_name"))})
        if p["crm_company_id"]:
            hubspot.associate("contacts", p["crm_person_id"], "companies", p["crm_company_id"], primary=True)
    for d in records("select * from staging.stg_crm__deals where crm_source = 'hubspot'"):
        hubspot.add("deals", d["crm_deal_id"], {
            "dealname": f"Deal {d['crm_deal_id']}", "dealstage": d["deal_stage"], "amount": text(d["amount_eur"]),
            "closedate": _iso_date(d["close_date"]), "createdate": _iso_date(d["created_date"]),
            "hs_is_closed": str(d["is_closed"]).lower(), "hs_is_closed_won": str(d["is_won"]).lower()})
        if d["crm_company_id"]:
            hubspot.associate("deals", d["crm_deal_id"], "companies", d["crm_company_id"], primary=True)
        if d["crm_person_id"]:
            hubspot.associate("deals", d["crm_deal_id"], "contacts", d["crm_person_id"])

    for c in records("select * from staging.stg_crm__companies where crm_source = 'salesforce'"):
        salesforce.add("Account", c["crm_company_id"], {
            "Name": c["company_name"], "Website": c["domain"], "BillingPostalCode": c["postal_code"],
            "BillingCity": c["city"], "NumberOfEmployees": c["employees"], "AnnualRevenue": c["annual_revenue_eur"],
            "CreatedDate": _sf_datetime(c["created_date"]), "SIREN__c": c["siren_raw"], "SIRET__c": c["siret_raw"],
            "VAT_Number__c": c["vat_raw"]})
    for p in (p for p in people if p["crm_source"] == "salesforce"):
        owner = owner_ids.get(p.get("owner_name"))
        common = {"OwnerId": f"005{owner:0>15}" if owner else None,
                  "FirstName": p["first_name"], "LastName": p["last_name"], "Email": p["email"],
                  "Title": p["job_title"], "HasOptedOutOfEmail": p["email_opt_out"],
                  "CreatedDate": _sf_datetime(p["created_date"])}
        if p["person_type"] == "lead":
            salesforce.add("Lead", p["crm_person_id"], {
                **common, "Company": p["company_name"], "Website": p["website_domain"], "PostalCode": p["postal_code"],
                "Status": p["lead_status"], "IsConverted": p["is_converted"], "SIRET__c": p["siret_raw"]})
        else:
            salesforce.add("Contact", p["crm_person_id"], {**common, "AccountId": p["crm_company_id"]})
    for d in records("select * from staging.stg_crm__deals where crm_source = 'salesforce'"):
        salesforce.add("Opportunity", d["crm_deal_id"], {
            "AccountId": d["crm_company_id"], "Name": f"Opportunity {d['crm_deal_id']}",
            "StageName": d["deal_stage_label"], "Amount": d["amount_eur"], "CloseDate": text(d["close_date"]),
            "IsClosed": d["is_closed"], "IsWon": d["is_won"], "CreatedDate": _sf_datetime(d["created_date"])})
