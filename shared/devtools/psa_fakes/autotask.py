"""`AutotaskFake`: Autotask PSA's REST API (`/ATServicesRest/V1.0`, the spec's basePath) for companies
and contacts, on 127.0.0.1.

    with AutotaskFake() as fake:
        zone = httpx.get(fake.zone_url, params={"user": fake.username}).json()   # {"url": ".../ATServicesRest/"}
        ids = fake.load(clients=[{"companyName": "Northwind", "companyType": 1}])
        httpx.post(zone["url"] + "V1.0/Contacts/query", headers=fake.auth_headers(),
                   json={"MaxRecords": 500, "filter": [{"op": "eq", "field": "companyID", "value": ids.clients[0]}]})

Auth: the headers `ApiIntegrationCode`, `UserName`, `Secret` (401 otherwise). Zone discovery `GET
/ATServicesRest/V1.0/zoneInformation?user=<username>` answers `{"zoneName", "url", "webUrl", "ci"}`
(counted in `zone_lookups`; unknown user: 500). Queries: `POST /V1.0/{Contacts|Companies}/query` with
`{"MaxRecords" (1..500, default 500), "IncludeFields", "filter"}` (or `GET .../query?search=<json>`), in
id order, answering `{"items", "pageDetails": {"count", "requestCount", "prevPageUrl", "nextPageUrl"}}`;
`nextPageUrl` is a full URL (`.../query/next?paging=<json>&search=<json>`) to GET, or to POST with the
same body; `.../query/count` answers `{"queryCount"}`. Contacts are created with `POST
/V1.0/Companies/{id}/Contacts` (answers `{"itemId"}`), changed with `PATCH` on the same URL (body with
`id`: only the fields sent change) or `PUT` (every field not sent is nulled, UDFs too: never use it);
companies with `POST|PATCH|PUT /V1.0/Companies`. `GET /V1.0/{E}/{id}` answers `{"item"}` (null when
there is none); `GET /V1.0/{E}/entityInformation/fields` answers `{"fields"}` with `isRequired`; UDFs
(`define_udf`) are `userDefinedFields: [{name, value}]`. A refused item is HTTP 500 `{"errors": [...]}`:
a missing required field, a bad email, `isActive` not 0/1, an unknown field or UDF, and (with
`unique_emails=True`, off by default as Autotask does not enforce it) an email another contact has.

Rate: `hourly_limit` requests per rolling hour for the database, counted across every client
(`requests_this_hour`), 429 beyond; at most `thread_limit` (3) requests in flight per integration code
and endpoint (spec template), a 4th concurrent one is 429 at once; with `latency_near_limit=True`, 0.5 s
is added past half the hourly budget and 1 s past three quarters (Autotask's documented behaviour, its
figures unconfirmed). Outside the spec extract (served, marked in `outside_extract`): `zoneInformation`
and the `query/next` URLs. The fake is case-sensitive on paths (IIS is not): use the zone's `url`.

Guessed: a query needs at least one filter; `IncludeFields` keeps `id` too; error wording; the `paging`
JSON (`{"pageSize", "previousIds", "nextIds"}`, as clients report); 401 and 429 bodies `{"errors"}`.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Mapping, Sequence
from typing import Any

from shared.devtools.psa_fakes.autotask_records import (
    AutotaskRefusal,
    field_definitions,
    filter_holds,
    lowered,
    new_record,
    query_page,
    refused,
    render,
    write,
)
from shared.devtools.psa_fakes.base import PsaFake
from shared.devtools.psa_fakes.extract import OutsideExtract
from shared.devtools.psa_fakes.ratelimit import RateDecision, SlidingWindow
from shared.devtools.psa_fakes.spec import SpecChecker
from shared.devtools.psa_fakes.wire import FakeRequest, FakeResponse, Handler, LoadedIds, Route

__all__ = ["AutotaskFake"]

_Record = dict[str, Any]
_ENTITIES = ("Contacts", "Companies")
_DATABASE, _ZONE = "database", "zone-lookups"  # rate keys: one fake is one Autotask database


class AutotaskFake(PsaFake):
    """Autotask companies and contacts; see the module docstring for the shapes and the guesses."""

    vendor = "autotask"
    api_root = "/ATServicesRest"

    def __init__(
        self,
        *,
        username: str = "api@nw.example",
        secret: str = "at-secret",
        integration_code: str = "AT-INTEGRATION-CODE",
        zone_name: str = "America East",
        ci: int = 12345,
        hourly_limit: int = 10_000,
        hour: float = 3600.0,
        thread_limit: int = 3,
        latency_near_limit: bool = False,
        unique_emails: bool = False,
        spec: SpecChecker | None = None,
    ) -> None:
        self.budget = SlidingWindow(hourly_limit, hour)
        super().__init__(limiter=self.budget, send_retry_after=False, spec=spec)
        self.username, self.secret, self.integration_code = username, secret, integration_code
        self.zone_name, self.ci = zone_name, ci
        self.thread_limit, self.latency_near_limit, self.unique_emails = thread_limit, latency_near_limit, unique_emails
        queries = [(m, f"{self.api_root}/V1.0/{e}/query/next") for e in _ENTITIES for m in ("GET", "POST")]
        self.outside = OutsideExtract(("GET", f"{self.api_root}/V1.0/zoneInformation"), *queries)
        self._tables: dict[str, dict[int, _Record]] = {entity: {} for entity in _ENTITIES}
        self._udfs: dict[str, str] = {}  # UDF name -> its entity
        self._last = dict.fromkeys(_ENTITIES, 0)
        self._zone_lookups = 0
        self._threads: dict[tuple[str, str], int] = {}
        self._threads_lock = threading.Lock()

    # --- state for tests -------------------------------------------------------------------------

    @property
    def zone_url(self) -> str:
        """Where zone discovery answers (`?user=<username>`)."""
        return f"{self.root_url}{self.api_root}/V1.0/zoneInformation"

    @property
    def zone_lookups(self) -> int:
        with self._lock:
            return self._zone_lookups

    @property
    def requests_this_hour(self) -> int:
        """API requests the database spent in the last rolling hour (zone lookups are not counted)."""
        return self.budget.used(_DATABASE)

    @property
    def outside_extract(self) -> list[str]:
        return self.outside.hits

    def auth_headers(self) -> dict[str, str]:
        return {"ApiIntegrationCode": self.integration_code, "UserName": self.username, "Secret": self.secret}

    def define_udf(self, name: str, *, entity: str = "Contacts") -> None:
        """Define a user-defined field of `Contacts` or `Companies` (Autotask: made in the UI)."""
        if entity not in _ENTITIES:
            raise ValueError(f"UDFs belong to one of {_ENTITIES}, not {entity!r}")
        with self._lock:
            self._udfs[name] = entity

    def load(
        self, clients: Sequence[Mapping[str, Any]] = (), contacts: Sequence[Mapping[str, Any]] = ()
    ) -> LoadedIds[int]:
        """Store companies and contacts (camelCase fields; a contact's `companyID` names a company
        already loaded), by the API's rules (ValueError when they refuse one). Answers the ids."""
        with self._lock:
            try:
                company_ids = [self._create("Companies", dict(given)) for given in clients]
                contact_ids = [self._create("Contacts", dict(given)) for given in contacts]
            except AutotaskRefusal as refusal:
                raise ValueError(f"Autotask would refuse this record: {refusal.details}") from refusal
        return LoadedIds(company_ids, contact_ids)

    def clients(self) -> list[dict[str, Any]]:
        """The companies, rendered as `GET /V1.0/Companies/{id}` would (`item` unwrapped), by id."""
        return self._rendered("Companies")

    def contacts(self) -> list[dict[str, Any]]:
        """The contacts, rendered as `GET /V1.0/Contacts/{id}` would (`item` unwrapped), by id."""
        return self._rendered("Contacts")

    # --- the vendor's edges ----------------------------------------------------------------------

    def routes(self) -> list[Route]:
        routes = [Route("GET", "/V1.0/zoneInformation", self._zone)]
        for entity in _ENTITIES:
            root = f"/V1.0/{entity}"
            for method in ("GET", "POST"):
                routes += [
                    Route(method, root + "/query", self._query(entity)),
                    Route(method, root + "/query/next", self._query(entity)),
                    Route(method, root + "/query/count", self._count(entity)),
                ]
            routes += [
                Route("GET", root + "/entityInformation/fields", self._fields(entity)),
                Route("GET", root + "/entityInformation/userDefinedFields", self._udf_info(entity)),
                Route("GET", root + "/{id}", self._get(entity)),
            ]
        child = "/V1.0/Companies/{parent_id}/Contacts"
        return [
            *routes,
            *[Route(method, "/V1.0/Companies", self._write_company) for method in ("POST", "PATCH", "PUT")],
            Route("GET", child, self._child_list),
            *[Route(method, child, self._write_contact) for method in ("POST", "PATCH", "PUT")],
            Route("GET", child + "/{id}", self._child_get),
            Route("DELETE", child + "/{id}", self._child_delete),
        ]

    def authorized(self, request: FakeRequest) -> bool:
        if request.path == f"{self.api_root}/V1.0/zoneInformation":
            return True
        given = (request.headers.get(name.lower()) for name in ("ApiIntegrationCode", "UserName", "Secret"))
        return tuple(given) == (self.integration_code, self.username, self.secret)

    def rate_key(self, request: FakeRequest) -> str:
        return _ZONE if request.path.endswith("/V1.0/zoneInformation") else _DATABASE

    def check_request(self, request: FakeRequest) -> tuple[Any, list[str]]:
        outside = self.outside.check(request)
        return outside if outside is not None else super().check_request(request)

    def error(self, status: int, code: str, message: str, details: Any = None) -> FakeResponse:
        errors = details if isinstance(details, list) and code != "SPEC_VIOLATION" else [message]
        payload: dict[str, Any] = {"errors": errors}
        if code == "SPEC_VIOLATION":
            payload["problems"] = details
        return FakeResponse(status, payload)

    def throttle_response(self, decision: RateDecision) -> FakeResponse:
        return self.error(429, "RATE_LIMITED", f"The request limit of {decision.limit} requests an hour is exceeded")

    def _dispatch(self, request: FakeRequest) -> FakeResponse | None:
        """The thread limit (and the latency near the hourly limit) around the base's handling."""
        if request.path.endswith("/V1.0/zoneInformation"):
            return super()._dispatch(request)
        endpoint = self.spec.template_for(request.method, request.path) or request.path
        key = (request.headers.get("apiintegrationcode", ""), f"{request.method} {endpoint}")
        with self._threads_lock:
            busy = self._threads.get(key, 0)
            if busy < self.thread_limit:
                self._threads[key] = busy + 1
        if busy >= self.thread_limit:
            refusal = self.error(429, "THREAD_LIMIT", f"The thread limit of {self.thread_limit} for {endpoint} is hit")
            self._record(request, 429, None)
            return refusal
        try:
            share = self.requests_this_hour / self.budget.limit
            if self.latency_near_limit and share >= 0.5:
                time.sleep(1.0 if share >= 0.75 else 0.5)
            return super()._dispatch(request)
        finally:
            with self._threads_lock:
                self._threads[key] -= 1

    # --- handlers --------------------------------------------------------------------------------

    def _zone(self, request: FakeRequest, _: dict[str, str]) -> FakeResponse:
        with self._lock:
            self._zone_lookups += 1
        if (request.param("user") or "").lower() != self.username.lower():
            raise refused("Zone information could not be determined for this user")
        return FakeResponse(
            200,
            {
                "zoneName": self.zone_name,
                "url": f"{self.root_url}{self.api_root}/",
                "webUrl": self.root_url + "/",
                "ci": self.ci,
            },
        )

    def _query(self, entity: str) -> Handler:
        def handler(request: FakeRequest, _: dict[str, str]) -> FakeResponse:
            search = request.json if request.json is not None else _json(request.param("search"), "search")
            paging = _json(request.param("paging"), "paging") if request.path.endswith("/next") else {}
            after = (paging.get("nextIds") or [0])[0]
            return FakeResponse(200, self._run(entity, search, int(after)))

        return handler

    def _run(self, entity: str, search: Any, after: int) -> dict[str, Any]:
        rows = self._matching(entity, lowered(search))
        return query_page(rows, search, after, f"{self.root_url}{self.api_root}/V1.0/{entity}/query/next")

    def _count(self, entity: str) -> Handler:
        def handler(request: FakeRequest, _: dict[str, str]) -> FakeResponse:
            search = request.json if request.json is not None else _json(request.param("search"), "search")
            return FakeResponse(200, {"queryCount": len(self._matching(entity, lowered(search)))})

        return handler

    def _matching(self, entity: str, query: Mapping[str, Any]) -> list[dict[str, Any]]:
        filters = query.get("filter")
        if not isinstance(filters, list) or not filters:
            raise refused("A query needs at least one filter")
        return [r for r in self._rendered(entity) if all(filter_holds(item, r) for item in filters)]

    def _fields(self, entity: str) -> Handler:
        return lambda request, params: FakeResponse(200, {"fields": field_definitions(entity)})

    def _udf_info(self, entity: str) -> Handler:
        def handler(request: FakeRequest, _: dict[str, str]) -> FakeResponse:
            with self._lock:
                names = sorted(name for name, owner in self._udfs.items() if owner == entity)
            fields = [{"name": n, "label": n, "type": "string", "isRequired": False, "isActive": True} for n in names]
            return FakeResponse(200, {"fields": fields})

        return handler

    def _get(self, entity: str) -> Handler:
        def handler(request: FakeRequest, params: dict[str, str]) -> FakeResponse:
            with self._lock:
                record = self._tables[entity].get(int(params["id"]))
                return FakeResponse(200, {"item": render(entity, record, self._udfs) if record else None})

        return handler

    def _write_company(self, request: FakeRequest, _: dict[str, str]) -> FakeResponse:
        with self._lock:
            return FakeResponse(200, {"itemId": self._save("Companies", request, None)})

    def _write_contact(self, request: FakeRequest, params: dict[str, str]) -> FakeResponse:
        with self._lock:
            parent = int(params["parent_id"])
            if parent not in self._tables["Companies"]:
                raise refused(f"Company {parent} does not exist")
            return FakeResponse(200, {"itemId": self._save("Contacts", request, parent)})

    def _child_list(self, request: FakeRequest, params: dict[str, str]) -> FakeResponse:
        rows = [c for c in self._rendered("Contacts") if c["companyID"] == int(params["parent_id"])][:500]
        details = {"count": len(rows), "requestCount": 500, "prevPageUrl": None, "nextPageUrl": None}
        return FakeResponse(200, {"items": rows, "pageDetails": details})

    def _child_get(self, request: FakeRequest, params: dict[str, str]) -> FakeResponse:
        with self._lock:
            record = self._tables["Contacts"].get(int(params["id"]))
            mine = record is not None and record["companyID"] == int(params["parent_id"])
            return FakeResponse(200, {"item": render("Contacts", record, self._udfs) if record and mine else None})

    def _child_delete(self, request: FakeRequest, params: dict[str, str]) -> FakeResponse:
        with self._lock:
            record = self._tables["Contacts"].get(int(params["id"]))
            if record is None or record["companyID"] != int(params["parent_id"]):
                raise refused(f"Contact {params['id']} does not exist")
            del self._tables["Contacts"][record["id"]]
            return FakeResponse(200, {"itemId": record["id"]})

    # --- shared ----------------------------------------------------------------------------------

    def _save(self, entity: str, request: FakeRequest, parent: int | None) -> int:
        body = dict(request.json) if isinstance(request.json, dict) else {}
        if parent is not None:
            body = {k: v for k, v in body.items() if k.lower() != "companyid"} | {"companyID": parent}
        if request.method == "POST":
            return self._create(entity, body)
        record_id = next((v for k, v in body.items() if k.lower() == "id"), None)
        record = self._tables[entity].get(record_id) if isinstance(record_id, int) else None
        if record is None or (parent is not None and record["companyID"] != parent):
            raise refused(f"{entity[:-1]} {record_id!r} does not exist")
        updated = write(entity, record, body, self._udfs, replace=request.method == "PUT")
        self._check(entity, updated)
        record.update(updated)
        return int(record["id"])

    def _create(self, entity: str, body: dict[str, Any]) -> int:
        if entity == "Contacts" and body.get("companyID") not in self._tables["Companies"]:
            raise refused(f"Company {body.get('companyID')!r} does not exist")
        record = write(entity, new_record(entity, 0), body, self._udfs, replace=False)
        self._check(entity, record)
        self._last[entity] += 1
        record["id"] = self._last[entity]
        self._tables[entity][record["id"]] = record
        return int(record["id"])

    def _check(self, entity: str, record: _Record) -> None:
        if entity != "Contacts" or not self.unique_emails:
            return
        mine = {str(record[n]).lower() for n in ("emailAddress", "emailAddress2", "emailAddress3") if record[n]}
        for other in self._tables["Contacts"].values():
            theirs = {str(other[n]).lower() for n in ("emailAddress", "emailAddress2", "emailAddress3") if other[n]}
            if other["id"] != record["id"] and mine & theirs:
                raise refused(f"A contact with the email {sorted(mine & theirs)[0]} already exists")

    def _rendered(self, entity: str) -> list[dict[str, Any]]:
        with self._lock:
            return [render(entity, r, self._udfs) for _, r in sorted(self._tables[entity].items())]


def _json(value: str | None, name: str) -> Any:
    try:
        return json.loads(value) if value else {}
    except ValueError:
        raise refused(f"{name} is not valid JSON") from None
