"""`ConnectWiseFake`: ConnectWise PSA's REST API (`/v4_6_release/apis/3.0`, the spec's server path) for
companies and contacts, on 127.0.0.1.

    with ConnectWiseFake() as fake:
        ids = fake.load(clients=[{"identifier": "Northwind", "name": "Northwind Traders"}])
        httpx.get(f"{fake.base_url}/company/contacts", headers=fake.auth_headers(),
                  params={"conditions": f"company/id={ids.clients[0]} AND inactiveFlag=false"})

Auth: Basic `companyId+publicKey:privateKey` and a `clientId` header (401 without either); an `Accept:
application/vnd.connectwise.com+json; version=...` is taken whatever the version. Lists filter by
`conditions`, `childConditions` and `customFieldConditions` (`connectwise_records`), sort by `orderBy`
(`name desc`; default id), project `fields` (top-level names), and page either by `page` (from 1) and
`pageSize` (default 25, capped at 1000 without a word, as ConnectWise does) with a `Link` header
(`rel="next"`, `"last"`, `"first"`, `"prev"`), or forward-only (request header `pagination-type:
forward-only`): by id, `pageId` the last id of the page before, `Link` `rel="next"` while more remain.
`POST` creates (201); `PATCH` takes JSON-patch ops (`[{"op": "replace", "path": "firstName", "value":
...}]`); `PUT` replaces the whole record, blanking every field not sent (communication items and custom
field values too): the reason a sync must never use it. Patching `communicationItems` fails as the real
API does (400 `InvalidPatch`, a cast error): emails and phones change through
`/company/contacts/{id}/communications[/{commId}]`. `customFields` is replaced whole (a defined field
not sent is blanked); define fields first with `define_field`. A contact needs a `firstName`; a company
an `identifier` (unique, ignoring case) and a `name`. Errors answer `{"code", "message", "errors"}`.

Outside the spec extract (served, marked in `outside_extract`, not spec-checked): the communications
endpoints and `GET /system/callbackkey/{keyId}`, the signing key of callbacks (`callbacks.py`),
answered `{"signing_key": ...}` without auth (the shape public verifiers read; the path is a guess).
Rate limit: 1,000 requests a minute per API member (a sliding window), 429 with `Retry-After`.

Guessed where unconfirmed: the condition semantics above; a contact without a company is allowed;
ids count from 1; 404 `NotFound`; a bad condition is 400 `InvalidObject`. DELETE works, and every
DELETE is in `deletes`: the sync must never send one.
"""

from __future__ import annotations

import base64
import copy
import secrets
from collections.abc import Mapping, Sequence
from typing import Any

from shared.devtools.psa_fakes.base import PsaFake
from shared.devtools.psa_fakes.connectwise_conditions import (
    Condition,
    child_holds,
    custom_field_holds,
    parse_conditions,
)
from shared.devtools.psa_fakes.connectwise_records import (
    COMPANY_DEFAULTS,
    CONTACT_DEFAULTS,
    CwRefusal,
    communication_item,
    custom_values,
    page,
    patch_record,
    required,
    store_communication,
)
from shared.devtools.psa_fakes.extract import OutsideExtract
from shared.devtools.psa_fakes.ratelimit import SlidingWindow
from shared.devtools.psa_fakes.spec import SpecChecker
from shared.devtools.psa_fakes.values import utc_now_iso
from shared.devtools.psa_fakes.wire import FakeRequest, FakeResponse, Handler, LoadedIds, Route

__all__ = ["KEY_HOST", "ConnectWiseFake"]

KEY_HOST = "api-na.myconnectwise.net"  # where callbacks' key URLs point (tests map it to the fake)
_Record = dict[str, Any]
_CODES = {"UNAUTHORIZED": "Unauthorized", "NOT_FOUND": "NotFound", "RATE_LIMITED": "TooManyRequests"}


class ConnectWiseFake(PsaFake):
    """ConnectWise companies and contacts; see the module docstring for the shapes and the guesses."""

    vendor = "connectwise"
    api_root = "/v4_6_release/apis/3.0"

    def __init__(
        self,
        *,
        company_id: str = "nwmsp",
        public_key: str = "cw-public-key",
        private_key: str = "cw-private-key",
        client_id: str | None = "cw-client-id",
        rate_limit: int | None = 1000,
        rate_window: float = 60.0,
        spec: SpecChecker | None = None,
    ) -> None:
        limiter = SlidingWindow(rate_limit, rate_window) if rate_limit is not None else None
        super().__init__(limiter=limiter, send_retry_after=True, spec=spec)
        self.company_id, self.public_key, self.private_key, self.client_id = (
            company_id,
            public_key,
            private_key,
            client_id,
        )
        contact = f"{self.api_root}/company/contacts/{{id}}/communications"
        self.outside = OutsideExtract(
            *[("GET", contact), ("POST", contact)],
            *[(method, contact + "/{comm_id}") for method in ("GET", "PUT", "PATCH", "DELETE")],
            ("GET", f"{self.api_root}/system/callbackkey/{{key_id}}"),
        )
        self._companies: dict[int, _Record] = {}
        self._contacts: dict[int, _Record] = {}
        self._fields: dict[int, _Record] = {}
        self._keys: dict[str, str] = {}
        self._key_fetches = 0
        self._last = dict.fromkeys(("company", "contact", "comm", "field"), 0)

    # --- state for tests -------------------------------------------------------------------------

    def auth_headers(self) -> dict[str, str]:
        """The `Authorization` (Basic) and `clientId` headers the fake takes."""
        user = f"{self.company_id}+{self.public_key}:{self.private_key}".encode()
        return {"Authorization": "Basic " + base64.b64encode(user).decode(), "clientId": self.client_id or "any"}

    @property
    def outside_extract(self) -> list[str]:
        return self.outside.hits

    @property
    def key_fetches(self) -> int:
        """How many times a callback signing key was fetched."""
        with self._lock:
            return self._key_fetches

    def signing_key(self, key_id: str = "1") -> str:
        """The callback signing key served at `key_url(key_id)` (made on first use)."""
        with self._lock:
            return self._keys.setdefault(key_id, secrets.token_urlsafe(32))

    def key_url(self, key_id: str = "1", *, host: str = KEY_HOST) -> str:
        """`https://<host>/v4_6_release/apis/3.0/system/callbackkey/<key_id>` (map `host` to the fake)."""
        return f"https://{host}{self.api_root}/system/callbackkey/{key_id}"

    def define_field(self, caption: str, *, entity: str = "contact") -> int:
        """Define a custom field of contacts or companies (`entity` "contact" or "company"); its id."""
        with self._lock:
            field_id = self._next("field")
            self._fields[field_id] = {"id": field_id, "caption": caption, "entity": entity}
            return field_id

    def load(
        self, clients: Sequence[Mapping[str, Any]] = (), contacts: Sequence[Mapping[str, Any]] = ()
    ) -> LoadedIds[int]:
        """Store companies (`Company` fields) and contacts (`Contact` fields; `company: {"id"}` names a
        company already loaded), by the API's rules (ValueError when they refuse one). Answers the ids."""
        with self._lock:
            try:
                company_ids = [self._create(self._companies, "company", dict(c)) for c in clients]
                contact_ids = [self._create(self._contacts, "contact", dict(c)) for c in contacts]
            except CwRefusal as refusal:
                raise ValueError(f"ConnectWise would refuse this record: {refusal.message}") from refusal
        return LoadedIds(company_ids, contact_ids)

    def clients(self) -> list[dict[str, Any]]:
        """The companies, rendered as `GET /company/companies/{id}` would, by id."""
        with self._lock:
            return [self._render(r) for _, r in sorted(self._companies.items())]

    def contacts(self) -> list[dict[str, Any]]:
        """The contacts, rendered as `GET /company/contacts/{id}` would, by id."""
        with self._lock:
            return [self._render(r) for _, r in sorted(self._contacts.items())]

    def entity(self, kind: str, record_id: int) -> dict[str, Any]:
        """One record as rendered (`kind` "contact" or "company"): a callback's `Entity`."""
        with self._lock:
            return self._render(self._find(self._table(kind), record_id))

    # --- the vendor's edges ----------------------------------------------------------------------

    def routes(self) -> list[Route]:
        routes = []
        for kind, path in (("company", "/company/companies"), ("contact", "/company/contacts")):
            routes += [
                Route("GET", path, self._lister(kind)),
                Route("POST", path, self._creator(kind)),
                Route("GET", path + "/{id}", self._getter(kind)),
                Route("PUT", path + "/{id}", self._putter(kind)),
                Route("PATCH", path + "/{id}", self._patcher(kind)),
                Route("DELETE", path + "/{id}", self._deleter(kind)),
            ]
        comms = "/company/contacts/{id}/communications"
        return [
            *routes,
            Route("GET", comms, self._list_comms),
            Route("POST", comms, self._add_comm),
            Route("GET", comms + "/{comm_id}", self._get_comm),
            Route("PUT", comms + "/{comm_id}", self._put_comm),
            Route("PATCH", comms + "/{comm_id}", self._put_comm),
            Route("DELETE", comms + "/{comm_id}", self._delete_comm),
            Route("GET", "/system/callbackkey/{key_id}", self._callback_key),
        ]

    def authorized(self, request: FakeRequest) -> bool:
        if request.path.startswith(f"{self.api_root}/system/callbackkey/"):
            return True
        client = request.headers.get("clientid", "")
        return request.headers.get("authorization") == self.auth_headers()["Authorization"] and (
            client == self.client_id if self.client_id is not None else bool(client)
        )

    def rate_key(self, request: FakeRequest) -> str:
        return request.headers.get("authorization", "")

    def check_request(self, request: FakeRequest) -> tuple[Any, list[str]]:
        outside = self.outside.check(request)
        return outside if outside is not None else super().check_request(request)

    def error(self, status: int, code: str, message: str, details: Any = None) -> FakeResponse:
        payload: dict[str, Any] = {"code": _CODES.get(code, code), "message": message}
        if details is not None:
            payload["errors"] = details
        return FakeResponse(status, payload)

    # --- companies and contacts ------------------------------------------------------------------

    def _lister(self, kind: str) -> Handler:
        def handler(request: FakeRequest, _: dict[str, str]) -> FakeResponse:
            filters = [
                (parse_conditions(text), check)
                for name, check in (
                    ("conditions", _holds),
                    ("childConditions", child_holds),
                    ("customFieldConditions", custom_field_holds),
                )
                if (text := request.param(name))
            ]
            with self._lock:
                rows = [self._render(r) for _, r in sorted(self._table(kind).items())]
            rows = [r for r in rows if all(check(condition, r) for condition, check in filters)]
            chosen, headers = page(request, rows, f"{self.root_url}{request.path}")
            return FakeResponse(200, chosen, headers)

        return handler

    def _creator(self, kind: str) -> Handler:
        def handler(request: FakeRequest, _: dict[str, str]) -> FakeResponse:
            with self._lock:
                table = self._table(kind)
                return FakeResponse(201, self._render(table[self._create(table, kind, dict(request.json or {}))]))

        return handler

    def _getter(self, kind: str) -> Handler:
        def handler(request: FakeRequest, params: dict[str, str]) -> FakeResponse:
            with self._lock:
                return FakeResponse(200, self._render(self._find(self._table(kind), int(params["id"]))))

        return handler

    def _putter(self, kind: str) -> Handler:
        def handler(request: FakeRequest, params: dict[str, str]) -> FakeResponse:
            with self._lock:
                record = self._find(self._table(kind), int(params["id"]))
                replacement = {"id": record["id"], **copy.deepcopy(self._defaults(kind))}
                self._write(kind, replacement, dict(request.json or {}))
                record.clear()
                record.update(replacement)
                return FakeResponse(200, self._render(record))

        return handler

    def _patcher(self, kind: str) -> Handler:
        def handler(request: FakeRequest, params: dict[str, str]) -> FakeResponse:
            with self._lock:
                record = self._find(self._table(kind), int(params["id"]))
                patched = copy.deepcopy(record)
                patch_record(patched, list(request.json or []), self._defaults(kind))
                self._write(kind, patched, {"customFields": patched["customFields"], "company": patched.get("company")})
                record.update(patched)
                return FakeResponse(200, self._render(record))

        return handler

    def _deleter(self, kind: str) -> Handler:
        def handler(request: FakeRequest, params: dict[str, str]) -> FakeResponse:
            with self._lock:
                del self._table(kind)[self._find(self._table(kind), int(params["id"]))["id"]]
            return FakeResponse(204)

        return handler

    def _create(self, table: dict[int, _Record], kind: str, body: dict[str, Any]) -> int:
        record = {"id": 0, **copy.deepcopy(self._defaults(kind))}
        self._write(kind, record, body)
        record["id"] = self._next(kind)
        table[record["id"]] = record
        return int(record["id"])

    def _write(self, kind: str, record: _Record, body: dict[str, Any]) -> None:
        """`body` onto `record` (checked first: the record is unchanged when it is refused)."""
        staged = {**record, **{k: copy.deepcopy(v) for k, v in body.items() if k not in ("id", "_info")}}
        entity = "contact" if kind == "contact" else "company"
        staged["customFields"] = custom_values(staged.get("customFields"), self._fields, entity)
        company = staged.get("company")
        if kind == "contact" and isinstance(company, dict) and company.get("id") not in self._companies:
            raise CwRefusal(400, "InvalidObject", f"company {company.get('id')!r} not found", [{"field": "company"}])
        if kind == "contact":
            if not str(staged.get("firstName") or "").strip():
                raise CwRefusal(400, "InvalidObject", "contact object is invalid", [required("contact", "firstName")])
            if "communicationItems" in body:
                staged["communicationItems"] = [
                    communication_item(self._next("comm"), i) for i in body["communicationItems"] or []
                ]
        else:
            for name in ("identifier", "name"):
                if not str(staged.get(name) or "").strip():
                    raise CwRefusal(400, "InvalidObject", "company object is invalid", [required("company", name)])
            taken = {str(c["identifier"]).lower() for i, c in self._companies.items() if i != record["id"]}
            if str(staged["identifier"]).lower() in taken:
                raise CwRefusal(400, "InvalidObject", "The identifier is already in use", [{"field": "identifier"}])
        record.update(staged, _info={"lastUpdated": utc_now_iso(), "updatedBy": "api"})

    # --- communications --------------------------------------------------------------------------

    def _list_comms(self, request: FakeRequest, params: dict[str, str]) -> FakeResponse:
        with self._lock:
            return FakeResponse(200, copy.deepcopy(self._find(self._contacts, int(params["id"]))["communicationItems"]))

    def _add_comm(self, request: FakeRequest, params: dict[str, str]) -> FakeResponse:
        with self._lock:
            contact = self._find(self._contacts, int(params["id"]))
            item = communication_item(self._next("comm"), dict(request.json or {}))
            store_communication(contact, item)
            return FakeResponse(201, copy.deepcopy(item))

    def _get_comm(self, request: FakeRequest, params: dict[str, str]) -> FakeResponse:
        with self._lock:
            return FakeResponse(200, copy.deepcopy(self._comm(params)[1]))

    def _put_comm(self, request: FakeRequest, params: dict[str, str]) -> FakeResponse:
        """PUT replaces the item; PATCH applies JSON-patch ops to it (`value`, `type`, `defaultFlag`)."""
        with self._lock:
            contact, item = self._comm(params)
            given = dict(request.json) if isinstance(request.json, dict) else copy.deepcopy(item)
            if request.method == "PATCH":
                patch_record(given, list(request.json or []), item)
            updated = communication_item(item["id"], given)
            contact["communicationItems"].remove(item)
            store_communication(contact, updated)
            return FakeResponse(200, copy.deepcopy(updated))

    def _delete_comm(self, request: FakeRequest, params: dict[str, str]) -> FakeResponse:
        with self._lock:
            contact, item = self._comm(params)
            contact["communicationItems"].remove(item)
        return FakeResponse(204)

    def _comm(self, params: dict[str, str]) -> tuple[_Record, _Record]:
        contact = self._find(self._contacts, int(params["id"]))
        item = next((i for i in contact["communicationItems"] if str(i["id"]) == params["comm_id"]), None)
        if item is None:
            raise CwRefusal(404, "NotFound", f"communication {params['comm_id']} not found")
        return contact, item

    def _callback_key(self, request: FakeRequest, params: dict[str, str]) -> FakeResponse:
        with self._lock:
            key = self._keys.get(params["key_id"])
            self._key_fetches += 1
        if key is None:
            raise CwRefusal(404, "NotFound", f"callback key {params['key_id']} not found")
        return FakeResponse(200, {"signing_key": key})

    # --- shared ----------------------------------------------------------------------------------

    def _render(self, record: _Record) -> dict[str, Any]:
        rendered = copy.deepcopy(record)
        company = self._companies.get(record["company"]["id"]) if isinstance(record.get("company"), dict) else None
        if company is not None:
            rendered["company"] = {"id": company["id"], "identifier": company["identifier"], "name": company["name"]}
        return rendered

    def _table(self, kind: str) -> dict[int, _Record]:
        return self._contacts if kind == "contact" else self._companies

    def _defaults(self, kind: str) -> Mapping[str, Any]:
        return CONTACT_DEFAULTS if kind == "contact" else COMPANY_DEFAULTS

    def _find(self, table: dict[int, _Record], record_id: int) -> _Record:
        record = table.get(record_id)
        if record is None:
            kind = "Contact" if table is self._contacts else "Company"
            raise CwRefusal(404, "NotFound", f"{kind} ID {record_id} not found")
        return record

    def _next(self, kind: str) -> int:
        self._last[kind] += 1
        return self._last[kind]


def _holds(condition: Condition, record: Mapping[str, Any]) -> bool:
    return condition.holds(record)
