"""`SyncroFake`: Syncro's REST API (`/api/v1`) for customers and contacts, on 127.0.0.1.

    with SyncroFake(page_size=25) as fake:
        ids = fake.load(clients=[{"business_name": "Northwind"}])
        fake.load(contacts=[{"customer_id": ids.clients[0], "name": "Ann", "email": "ann@nw.example"}])
        # GET {fake.base_url}/contacts?customer_id=1 with "Authorization: <fake.api_key>"

Served as `psa-specs/syncro.json` shapes them: lists answer `{"customers"|"contacts": [...], "meta":
{"total_pages", "total_entries", "per_page", "page"}}` at a server-fixed page size (`page` is the only
paging parameter); a customer answers `{"customer": {...}}`; a contact answers the bare object (GET,
POST and PUT alike). Create answers 200. A contact's customer must exist (404 `{"message": "Not
found"}`); a malformed email is 422 (`{"record", "errors"}` for contacts, `{"success", "message"}` for
customers). Integer ids from 1. Auth: the `Authorization` header holds the API key, raw or `Bearer <key>`.

Guessed where Syncro's docs are silent or unconfirmed (PSA_CONNECTORS.md): the rate limit counts 180
requests a minute per IP in a sliding window and 429 sends no `Retry-After` unless
`send_retry_after=True`; PUT is partial (fields not sent are kept) and `properties` sent on PUT merge
into the stored ones (`properties_update="replace"` to replace them); `title` is taken only on PUT
(the spec's POST body lacks it; `title_on_create=True` to take it there too); an empty list has
`total_pages` 0; records list in id order; customers' `query`, `business_name`, `firstname`,
`lastname` and `email` filters are case-insensitive substring matches; a disabled customer is listed
only with `include_disabled=true`; a customer needs one of `business_name`, `firstname`, `lastname`.
DELETE works as the API says, and every DELETE is in `deletes`: the sync must never send one.
"""

from __future__ import annotations

import copy
import itertools
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Literal

from shared.devtools.psa_fakes.base import PsaFake
from shared.devtools.psa_fakes.ratelimit import SlidingWindow
from shared.devtools.psa_fakes.spec import SpecChecker
from shared.devtools.psa_fakes.syncro_records import (
    CONTACT_FIELDS,
    CUSTOMER_FIELDS,
    new_contact,
    new_customer,
    render_contact,
    render_customer,
)
from shared.devtools.psa_fakes.values import looks_like_email, page_count, unknown_keys, utc_now_iso
from shared.devtools.psa_fakes.wire import FakeRequest, FakeResponse, LoadedIds, Route

__all__ = ["SyncroFake"]

_CUSTOMER_SEARCH = ("business_name", "firstname", "lastname", "email")


class SyncroFake(PsaFake):
    """Syncro customers and contacts; see the module docstring for the shapes and the guesses."""

    vendor = "syncro"

    def __init__(
        self,
        *,
        api_key: str = "syncro-test-key",
        page_size: int = 25,
        rate_limit: int | None = 180,
        rate_window: float = 60.0,
        send_retry_after: bool = False,
        title_on_create: bool = False,
        properties_update: Literal["merge", "replace"] = "merge",
        spec: SpecChecker | None = None,
    ) -> None:
        limiter = SlidingWindow(rate_limit, rate_window) if rate_limit is not None else None
        super().__init__(limiter=limiter, send_retry_after=send_retry_after, spec=spec)
        self.api_key = api_key
        self.page_size = page_size
        self.title_on_create = title_on_create
        self.properties_update = properties_update
        self._customers: dict[int, dict[str, Any]] = {}
        self._contacts: dict[int, dict[str, Any]] = {}
        self._customer_ids = itertools.count(1)
        self._contact_ids = itertools.count(1)

    # --- state for tests -------------------------------------------------------------------------

    def load(
        self, clients: Sequence[Mapping[str, Any]] = (), contacts: Sequence[Mapping[str, Any]] = ()
    ) -> LoadedIds[int]:
        """Store customers (`clients`, POST-body fields plus optional `id`, `disabled`, `created_at`)
        and contacts (POST-body fields plus `title`, `properties`, optional `id`, `created_at`; their
        `customer_id` must exist, so load customers first). Answers the ids, in the order given."""
        customer_ids, contact_ids = [], []
        with self._lock:
            for given in clients:
                fields = dict(given)
                _refuse_unknown(fields, CUSTOMER_FIELDS | {"id", "disabled", "created_at"}, "customer")
                customer_id = self._take_id(fields.pop("id", None), self._customers, "customer")
                self._customers[customer_id] = new_customer(customer_id, fields)
                customer_ids.append(customer_id)
            for given in contacts:
                fields = dict(given)
                _refuse_unknown(fields, CONTACT_FIELDS | {"id", "created_at"}, "contact")
                if fields.get("customer_id") not in self._customers:
                    raise ValueError(f"contact {fields!r}: no customer {fields.get('customer_id')!r}")
                contact_id = self._take_id(fields.pop("id", None), self._contacts, "contact")
                self._contacts[contact_id] = new_contact(contact_id, fields)
                contact_ids.append(contact_id)
        return LoadedIds(customer_ids, contact_ids)

    def clients(self) -> list[dict[str, Any]]:
        """The customers, rendered as `GET /customers/{id}` would (`customer` unwrapped), by id."""
        with self._lock:
            return [self._render_customer(record) for _, record in sorted(self._customers.items())]

    customers = clients

    def contacts(self) -> list[dict[str, Any]]:
        """The contacts, rendered as `GET /contacts/{id}` would, by id."""
        with self._lock:
            return [render_contact(record) for _, record in sorted(self._contacts.items())]

    def _take_id(self, given: Any, table: Mapping[int, Any], kind: str) -> int:
        counter = self._customer_ids if table is self._customers else self._contact_ids
        if given is None:
            candidate = next(counter)
            while candidate in table:
                candidate = next(counter)
            return candidate
        if not isinstance(given, int) or given in table:
            raise ValueError(f"{kind} id {given!r} is not a new integer")
        return given

    # --- the vendor's edges ----------------------------------------------------------------------

    def routes(self) -> list[Route]:
        return [
            Route("GET", "/customers", self._list_customers),
            Route("POST", "/customers", self._create_customer),
            Route("GET", "/customers/{id}", self._get_customer),
            Route("PUT", "/customers/{id}", self._update_customer),
            Route("DELETE", "/customers/{id}", self._delete_customer),
            Route("GET", "/contacts", self._list_contacts),
            Route("POST", "/contacts", self._create_contact),
            Route("GET", "/contacts/{id}", self._get_contact),
            Route("PUT", "/contacts/{id}", self._update_contact),
            Route("DELETE", "/contacts/{id}", self._delete_contact),
        ]

    def authorized(self, request: FakeRequest) -> bool:
        value = request.headers.get("authorization", "").strip()
        if value[:7].lower() == "bearer ":
            value = value[7:].strip()
        return bool(value) and value == self.api_key

    def error(self, status: int, code: str, message: str, details: Any = None) -> FakeResponse:
        if status == 404:
            return FakeResponse(404, {"message": "Not found"})
        if status == 401:
            return FakeResponse(401, {"error": message})
        if status == 429:
            return FakeResponse(429, {"error": "Rate limit exceeded"})  # body unconfirmed
        payload: dict[str, Any] = {"error": message}
        if details is not None:
            payload["problems"] = details
        return FakeResponse(status, payload)

    # --- customers -------------------------------------------------------------------------------

    def _list_customers(self, request: FakeRequest, _: dict[str, str]) -> FakeResponse:
        ids = {int(v) for v in request.query.get("id", []) + request.query.get("id[]", []) if v.isdigit()}
        not_ids = {int(v) for v in request.query.get("not_id", []) + request.query.get("not_id[]", []) if v.isdigit()}
        include_disabled = (request.param("include_disabled") or "false").lower() == "true"
        with self._lock:
            rows = [c for _, c in sorted(self._customers.items()) if include_disabled or not c.get("disabled")]
            rows = [c for c in rows if (not ids or c["id"] in ids) and c["id"] not in not_ids]
            for name in _CUSTOMER_SEARCH:
                wanted = request.param(name)
                if wanted:
                    rows = [c for c in rows if wanted.lower() in str(c.get(name) or "").lower()]
            query = (request.param("query") or "").lower()
            if query:
                rows = [c for c in rows if any(query in str(c.get(n) or "").lower() for n in _CUSTOMER_SEARCH)]
            rows = _sorted(rows, request.param("sort"))
            page, meta = self._page(len(rows), request)
            start = (page - 1) * self.page_size
            chosen = [self._render_customer(c) for c in rows[start : start + self.page_size]]
        return FakeResponse(200, {"customers": chosen, "meta": meta})

    def _create_customer(self, request: FakeRequest, _: dict[str, str]) -> FakeResponse:
        fields = {k: v for k, v in (request.json or {}).items() if k in CUSTOMER_FIELDS}
        problems = _customer_problems(fields, creating=True)
        if problems:
            return FakeResponse(422, {"success": False, "message": problems, "params": request.json})
        with self._lock:
            customer_id = self._take_id(None, self._customers, "customer")
            self._customers[customer_id] = new_customer(customer_id, fields)
            return FakeResponse(200, {"customer": self._render_customer(self._customers[customer_id])})

    def _get_customer(self, request: FakeRequest, params: dict[str, str]) -> FakeResponse:
        with self._lock:
            record = self._customers.get(_int(params["id"]))
            if record is None:
                return self.error(404, "NOT_FOUND", "Not found")
            return FakeResponse(200, {"customer": self._render_customer(record)})

    def _update_customer(self, request: FakeRequest, params: dict[str, str]) -> FakeResponse:
        fields = {k: v for k, v in (request.json or {}).items() if k in CUSTOMER_FIELDS}
        problems = _customer_problems(fields, creating=False)
        if problems:
            return FakeResponse(422, {"success": False, "message": problems})
        with self._lock:
            record = self._customers.get(_int(params["id"]))
            if record is None:
                return self.error(404, "NOT_FOUND", "Not found")
            self._apply(record, fields)
            return FakeResponse(200, {"customer": self._render_customer(record)})

    def _delete_customer(self, request: FakeRequest, params: dict[str, str]) -> FakeResponse:
        with self._lock:
            if self._customers.pop(_int(params["id"]), None) is None:
                return self.error(404, "NOT_FOUND", "Not found")
        return FakeResponse(200, {"message": "Customer was deleted from the system."})

    def _render_customer(self, record: dict[str, Any]) -> dict[str, Any]:
        own = [c for _, c in sorted(self._contacts.items()) if c.get("customer_id") == record["id"]]
        return render_customer(record, own)

    # --- contacts --------------------------------------------------------------------------------

    def _list_contacts(self, request: FakeRequest, _: dict[str, str]) -> FakeResponse:
        customer = request.param("customer_id")
        with self._lock:
            rows = [c for _, c in sorted(self._contacts.items())]
            if customer is not None:
                rows = [c for c in rows if c.get("customer_id") == _int(customer)]
            page, meta = self._page(len(rows), request)
            start = (page - 1) * self.page_size
            chosen = [render_contact(c) for c in rows[start : start + self.page_size]]
        return FakeResponse(200, {"contacts": chosen, "meta": meta})

    def _create_contact(self, request: FakeRequest, _: dict[str, str]) -> FakeResponse:
        allowed = CONTACT_FIELDS if self.title_on_create else CONTACT_FIELDS - {"title"}
        fields = {k: v for k, v in (request.json or {}).items() if k in allowed}
        with self._lock:
            if fields.get("customer_id") not in self._customers:
                return self.error(404, "NOT_FOUND", "Customer not found")
            candidate = new_contact(0, fields)
            problem = _contact_problem(fields)
            if problem:
                candidate["id"] = None
                return FakeResponse(422, {"record": render_contact(candidate), "errors": problem})
            contact_id = self._take_id(None, self._contacts, "contact")
            candidate["id"] = contact_id
            self._contacts[contact_id] = candidate
            return FakeResponse(200, render_contact(candidate))

    def _get_contact(self, request: FakeRequest, params: dict[str, str]) -> FakeResponse:
        with self._lock:
            record = self._contacts.get(_int(params["id"]))
            if record is None:
                return self.error(404, "NOT_FOUND", "Not found")
            return FakeResponse(200, render_contact(record))

    def _update_contact(self, request: FakeRequest, params: dict[str, str]) -> FakeResponse:
        fields = {k: v for k, v in (request.json or {}).items() if k in CONTACT_FIELDS}
        with self._lock:
            record = self._contacts.get(_int(params["id"]))
            if record is None:
                return self.error(404, "NOT_FOUND", "Not found")
            problem = _contact_problem(fields) or (
                "" if str(fields.get("name") or "").strip() else "Name can't be blank"
            )
            if not problem and "customer_id" in fields and fields["customer_id"] not in self._customers:
                problem = "Customer can't be blank"
            if problem:
                return FakeResponse(422, {"record": render_contact(record), "errors": problem})
            self._apply(record, fields)
            return FakeResponse(200, render_contact(record))

    def _delete_contact(self, request: FakeRequest, params: dict[str, str]) -> FakeResponse:
        with self._lock:
            if self._contacts.pop(_int(params["id"]), None) is None:
                return self.error(404, "NOT_FOUND", "Not found")
        return FakeResponse(200)

    # --- shared ----------------------------------------------------------------------------------

    def _apply(self, record: dict[str, Any], fields: dict[str, Any]) -> None:
        for key, value in fields.items():
            if key == "properties" and self.properties_update == "merge" and isinstance(value, dict):
                record["properties"] = {**(record.get("properties") or {}), **copy.deepcopy(value)}
            else:
                record[key] = copy.deepcopy(value)
        record["updated_at"] = utc_now_iso()

    def _page(self, total: int, request: FakeRequest) -> tuple[int, dict[str, int]]:
        page = max(1, _int(request.param("page") or "1"))
        meta = {
            "total_pages": page_count(total, self.page_size),
            "total_entries": total,
            "per_page": self.page_size,
            "page": page,
        }
        return page, meta


def _int(value: str) -> int:
    try:
        return int(value)
    except ValueError:
        return -1


def _refuse_unknown(fields: Mapping[str, Any], allowed: Iterable[str], kind: str) -> None:
    unknown = unknown_keys(fields, allowed)
    if unknown:
        raise ValueError(f"{kind} fields Syncro does not take: {unknown}")


def _contact_problem(fields: Mapping[str, Any]) -> str:
    email = fields.get("email")
    if email and not looks_like_email(str(email)):
        return "Email is not an email"
    if "properties" in fields and not isinstance(fields["properties"], dict):
        return "Properties must be an object"
    return ""


def _customer_problems(fields: Mapping[str, Any], *, creating: bool) -> list[str]:
    problems = []
    email = fields.get("email")
    if email and not looks_like_email(str(email)):
        problems.append("Email is not an email")
    if creating and not any(str(fields.get(n) or "").strip() for n in ("business_name", "firstname", "lastname")):
        problems.append("Business name or a first or last name is required")
    return problems


def _sorted(rows: list[dict[str, Any]], sort: str | None) -> list[dict[str, Any]]:
    """`sort=firstname ASC` style ordering on a stored field; unknown fields keep id order."""
    if not sort:
        return rows
    field, _, direction = sort.strip().partition(" ")
    if not rows or field not in rows[0]:
        return rows
    return sorted(rows, key=lambda r: str(r.get(field) or "").lower(), reverse=direction.strip().upper() == "DESC")
