"""`AlgaFake`: Alga PSA's REST API (`/api/v1`) for clients and contacts, on 127.0.0.1.

    with AlgaFake() as fake:
        ids = fake.load(clients=[{"client_name": "Northwind", "billing_cycle": "monthly"}])
        # GET {fake.base_url}/contacts?client_id=<ids.clients[0]> with "x-api-key: <fake.api_key>"

Served as `psa-specs/alga.json` and Alga's source shape them: lists answer `{"data": [...],
"pagination": {"page", "limit", "total", "totalPages", "hasNext", "hasPrev"}}` (`page` from 1,
`limit` 1..100, default 25, sorted by `sort`/`order`, default `created_at` desc); one record answers
`{"data": {...}}`; create answers 201; delete answers 204; errors `{"error": {"code", "message",
"details"}}` (`VALIDATION_ERROR` 400, `UNAUTHORIZED` 401, `NOT_FOUND` 404, `CONFLICT` 409,
`RATE_LIMITED` 429). Ids are UUID strings (`client_id`, `contact_name_id`). Bodies are strict (unknown
keys: 400). PUT is partial, and a list sent replaces the stored list. A contact needs `full_name` and
`email`; a client `client_name` and `billing_cycle`. Every email (primary and additional) is unique
across the tenant, ignoring case (409 CONFLICT). The primary email changes only as `plan_emails` says.
The `email` list filter is a case-insensitive substring match on the primary email; lists include
inactive contacts unless `is_inactive` is given. Auth: `x-api-key` (`x-tenant-id` is accepted and
ignored, as for a tenant key). Rate limit: a token bucket per key, burst 120, 60 a minute; a 429 has
`Retry-After` and `X-RateLimit-*` headers (every answer carries `X-RateLimit-Limit`/`-Remaining`).

Guessed where unconfirmed: a contact whose `client_id` names no client is 400 `BAD_REQUEST` (Alga
maps a foreign-key violation so); `properties` sent on a client PUT replace the stored object;
`GET /clients/{id}/contacts` honours `page`/`limit` although its spec declares no query parameters
(so the spec check flags them: page with `GET /contacts?client_id=` instead). DELETE works, and every
DELETE is in `deletes`: the sync must never send one.
"""

from __future__ import annotations

import copy
import itertools
import re
import uuid
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from shared.devtools.psa_fakes.alga_records import (
    CLIENT_BODY_KEYS,
    CONTACT_BODY_KEYS,
    AlgaRefusal,
    apply_client,
    apply_contact_fields,
    new_client,
    new_contact,
    plan_emails,
)
from shared.devtools.psa_fakes.base import PsaFake
from shared.devtools.psa_fakes.ratelimit import RateDecision, TokenBucket
from shared.devtools.psa_fakes.spec import SpecChecker
from shared.devtools.psa_fakes.values import page_count, unknown_keys
from shared.devtools.psa_fakes.wire import FakeRequest, FakeResponse, LoadedIds, Route

__all__ = ["AlgaFake"]

_INTEGER = re.compile(r"\d+")
_Record = dict[str, Any]


class AlgaFake(PsaFake):
    """Alga PSA clients and contacts; see the module docstring for the shapes and the guesses."""

    vendor = "alga"

    def __init__(
        self,
        *,
        api_key: str = "alga-test-key",
        tenant: str | None = None,
        burst: int | None = 120,
        per_minute: float = 60.0,
        spec: SpecChecker | None = None,
    ) -> None:
        limiter = TokenBucket(burst, per_minute) if burst is not None else None
        super().__init__(limiter=limiter, send_retry_after=True, spec=spec)
        self.api_key = api_key
        self.tenant = tenant or str(uuid.uuid4())
        self._clients: dict[str, _Record] = {}
        self._contacts: dict[str, _Record] = {}
        self._email_owner: dict[str, str] = {}  # every email of the tenant, lower-cased -> contact id
        self._order: dict[str, int] = {}  # creation sequence: ties on created_at keep it
        self._sequence = itertools.count()

    # --- state for tests -------------------------------------------------------------------------

    def load(
        self, clients: Sequence[Mapping[str, Any]] = (), contacts: Sequence[Mapping[str, Any]] = ()
    ) -> LoadedIds[str]:
        """Store clients (ClientBody fields plus optional `client_id`, `created_at`) and contacts
        (ContactBody fields plus optional `contact_name_id`, `created_at`; a `client_id` must name a
        client already loaded), by the API's own rules (ValueError when they refuse one). Answers the
        ids, in the order given."""
        client_ids, contact_ids = [], []
        with self._lock:
            try:
                for given in clients:
                    body = dict(given)
                    _refuse_unknown(body, CLIENT_BODY_KEYS | {"client_id", "created_at"})
                    client_id = str(body.pop("client_id", None) or uuid.uuid4())
                    created = body.pop("created_at", None)
                    self._clients[client_id] = new_client(client_id, self.tenant, body)
                    self._stamp(client_id, self._clients[client_id], created)
                    client_ids.append(client_id)
                for given in contacts:
                    body = dict(given)
                    _refuse_unknown(body, CONTACT_BODY_KEYS | {"contact_name_id", "created_at"})
                    contact_id = str(body.pop("contact_name_id", None) or uuid.uuid4())
                    created = body.pop("created_at", None)
                    record = self._create_contact_record(contact_id, body)
                    self._stamp(contact_id, record, created)
                    contact_ids.append(contact_id)
            except AlgaRefusal as refusal:
                raise ValueError(f"Alga would refuse this record: {refusal.message}") from refusal
        return LoadedIds(client_ids, contact_ids)

    def clients(self) -> list[dict[str, Any]]:
        """The clients, rendered as `GET /clients/{id}` would (`data` unwrapped), oldest first."""
        with self._lock:
            return [copy.deepcopy(record) for record in self._oldest_first(self._clients)]

    def contacts(self) -> list[dict[str, Any]]:
        """The contacts, rendered as `GET /contacts/{id}` would (`data` unwrapped), oldest first."""
        with self._lock:
            return [self._render_contact(record) for record in self._oldest_first(self._contacts)]

    # --- the vendor's edges ----------------------------------------------------------------------

    def routes(self) -> list[Route]:
        return [
            Route("GET", "/clients", self._list_clients),
            Route("POST", "/clients", self._create_client),
            Route("GET", "/clients/{id}", self._get_client),
            Route("PUT", "/clients/{id}", self._update_client),
            Route("DELETE", "/clients/{id}", self._delete_client),
            Route("GET", "/clients/{id}/contacts", self._client_contacts),
            Route("GET", "/contacts", self._list_contacts),
            Route("POST", "/contacts", self._create_contact),
            Route("GET", "/contacts/{id}", self._get_contact),
            Route("PUT", "/contacts/{id}", self._update_contact),
            Route("DELETE", "/contacts/{id}", self._delete_contact),
        ]

    def authorized(self, request: FakeRequest) -> bool:
        return request.headers.get("x-api-key") == self.api_key

    def rate_key(self, request: FakeRequest) -> str:
        return request.headers.get("x-api-key", "")

    def error(self, status: int, code: str, message: str, details: Any = None) -> FakeResponse:
        error: dict[str, Any] = {"code": code, "message": message}
        if details is not None:
            error["details"] = details
        return FakeResponse(status, {"error": error})

    def throttle_response(self, decision: RateDecision) -> FakeResponse:
        details = {"retry_after_ms": round(decision.retry_after * 1000), "remaining": decision.remaining}
        response = self.error(429, "RATE_LIMITED", "Too many requests", details)
        response.headers["Retry-After"] = str(decision.retry_after_seconds)
        return response

    def decorate(self, response: FakeResponse, decision: RateDecision) -> None:
        response.headers["X-RateLimit-Limit"] = str(decision.limit)
        response.headers["X-RateLimit-Remaining"] = str(decision.remaining)

    # --- clients ---------------------------------------------------------------------------------

    def _list_clients(self, request: FakeRequest, _: dict[str, str]) -> FakeResponse:
        filters = _substring_filters(request, ("client_name", "email"))
        inactive = _flag(request.param("is_inactive"))
        search = (request.param("search") or "").lower()
        with self._lock:
            rows = [
                c
                for c in self._clients.values()
                if all(want in str(c.get(name) or "").lower() for name, want in filters)
                and (inactive is None or c["is_inactive"] is inactive)
                and (not search or search in str(c["client_name"]).lower())
            ]
            return self._paginated(request, rows, copy.deepcopy)

    def _create_client(self, request: FakeRequest, _: dict[str, str]) -> FakeResponse:
        body = self._strict_body(request, CLIENT_BODY_KEYS)
        client_id = str(uuid.uuid4())
        with self._lock:
            self._clients[client_id] = new_client(client_id, self.tenant, body)
            self._stamp(client_id, self._clients[client_id], None)
            return FakeResponse(201, {"data": copy.deepcopy(self._clients[client_id])})

    def _get_client(self, request: FakeRequest, params: dict[str, str]) -> FakeResponse:
        with self._lock:
            return FakeResponse(200, {"data": copy.deepcopy(self._client(params["id"]))})

    def _update_client(self, request: FakeRequest, params: dict[str, str]) -> FakeResponse:
        body = self._strict_body(request, CLIENT_BODY_KEYS)
        with self._lock:
            record = self._client(params["id"])
            apply_client(record, body)
            return FakeResponse(200, {"data": copy.deepcopy(record)})

    def _delete_client(self, request: FakeRequest, params: dict[str, str]) -> FakeResponse:
        with self._lock:
            self._client(params["id"])
            del self._clients[params["id"]]
        return FakeResponse(204)

    def _client_contacts(self, request: FakeRequest, params: dict[str, str]) -> FakeResponse:
        with self._lock:
            self._client(params["id"])
            rows = [c for c in self._contacts.values() if c["client_id"] == params["id"]]
            return self._paginated(request, rows, self._render_contact)

    def _client(self, client_id: str) -> _Record:
        _check_uuid(client_id, "client")
        record = self._clients.get(client_id)
        if record is None:
            raise AlgaRefusal(404, "NOT_FOUND", "Client not found")
        return record

    # --- contacts --------------------------------------------------------------------------------

    def _list_contacts(self, request: FakeRequest, _: dict[str, str]) -> FakeResponse:
        filters = _substring_filters(request, ("full_name", "email", "role"))
        client_id = request.param("client_id")
        inactive = _flag(request.param("is_inactive"))
        has_client = _flag(request.param("has_client"))
        search = (request.param("search") or "").lower()
        with self._lock:
            rows = [
                c
                for c in self._contacts.values()
                if all(want in str(c.get(name) or "").lower() for name, want in filters)
                and (client_id is None or c["client_id"] == client_id)
                and (inactive is None or c["is_inactive"] is inactive)
                and (has_client is None or (c["client_id"] is not None) is has_client)
                and (not search or search in f"{c['full_name']} {c['email']}".lower())
            ]
            return self._paginated(request, rows, self._render_contact)

    def _create_contact(self, request: FakeRequest, _: dict[str, str]) -> FakeResponse:
        body = self._strict_body(request, CONTACT_BODY_KEYS)
        with self._lock:
            contact_id = str(uuid.uuid4())
            record = self._create_contact_record(contact_id, body)
            self._stamp(contact_id, record, None)
            return FakeResponse(201, {"data": self._render_contact(record)})

    def _get_contact(self, request: FakeRequest, params: dict[str, str]) -> FakeResponse:
        with self._lock:
            return FakeResponse(200, {"data": self._render_contact(self._contact(params["id"]))})

    def _update_contact(self, request: FakeRequest, params: dict[str, str]) -> FakeResponse:
        body = self._strict_body(request, CONTACT_BODY_KEYS)
        with self._lock:
            record = self._contact(params["id"])
            self._check_client_ref(body)
            updated = copy.deepcopy(record)  # all or nothing: a refusal leaves the record untouched
            updated["email"], updated["additional_email_addresses"] = plan_emails(updated, body, self._owner_of)
            apply_contact_fields(updated, body)
            self._index_emails(record, drop=True)
            record.clear()
            record.update(updated)
            self._index_emails(record)
            return FakeResponse(200, {"data": self._render_contact(record)})

    def _delete_contact(self, request: FakeRequest, params: dict[str, str]) -> FakeResponse:
        with self._lock:
            self._index_emails(self._contact(params["id"]), drop=True)
            del self._contacts[params["id"]]
        return FakeResponse(204)

    def _contact(self, contact_id: str) -> _Record:
        _check_uuid(contact_id, "contact")
        record = self._contacts.get(contact_id)
        if record is None:
            raise AlgaRefusal(404, "NOT_FOUND", "Contact not found")
        return record

    def _create_contact_record(self, contact_id: str, body: Mapping[str, Any]) -> _Record:
        if contact_id in self._contacts:
            raise AlgaRefusal(409, "CONFLICT", f"contact {contact_id} already exists")
        self._check_client_ref(body)
        record = new_contact(contact_id, self.tenant, body)
        record["email"], record["additional_email_addresses"] = plan_emails(record, body, self._owner_of)
        self._contacts[contact_id] = record
        self._index_emails(record)
        return record

    def _check_client_ref(self, body: Mapping[str, Any]) -> None:
        client_id = body.get("client_id")
        if client_id is not None and client_id not in self._clients:
            raise AlgaRefusal(400, "BAD_REQUEST", "Invalid reference", f"client {client_id} does not exist")

    def _owner_of(self, address: str) -> str | None:
        return self._email_owner.get(address)

    def _index_emails(self, record: _Record, *, drop: bool = False) -> None:
        """Keep `_email_owner` (every address of the tenant, lower-cased -> its contact) in step."""
        addresses = [record["email"], *(e["email_address"] for e in record["additional_email_addresses"])]
        for address in addresses:
            key = str(address).strip().lower()
            if drop:
                self._email_owner.pop(key, None)
            else:
                self._email_owner[key] = str(record["contact_name_id"])

    def _render_contact(self, record: _Record) -> dict[str, Any]:
        rendered = copy.deepcopy(record)
        client = self._clients.get(record["client_id"]) if record["client_id"] else None
        rendered["client_name"] = client["client_name"] if client else None
        return rendered

    # --- shared ----------------------------------------------------------------------------------

    def _strict_body(self, request: FakeRequest, allowed: frozenset[str]) -> dict[str, Any]:
        body = request.json
        if not isinstance(body, dict):
            raise AlgaRefusal(400, "VALIDATION_ERROR", "Validation failed: the body must be a JSON object")
        unknown = unknown_keys(body, allowed)
        if unknown:
            raise AlgaRefusal(400, "VALIDATION_ERROR", "Validation failed", [f"Unrecognized key(s): {unknown}"])
        return body

    def _stamp(self, record_id: str, record: _Record, created_at: Any) -> None:
        self._order[record_id] = next(self._sequence)
        if created_at is not None:
            record["created_at"] = record["updated_at"] = str(created_at)

    def _oldest_first(self, table: Mapping[str, _Record]) -> list[_Record]:
        return sorted(table.values(), key=lambda r: self._order[_record_id(r)])

    def _paginated(
        self, request: FakeRequest, rows: list[_Record], render: Callable[[_Record], dict[str, Any]]
    ) -> FakeResponse:
        page, limit = _positive(request.param("page"), 1, "page"), _positive(request.param("limit"), 25, "limit")
        if limit > 100:
            raise AlgaRefusal(400, "VALIDATION_ERROR", "Query validation failed", ["limit must be at most 100"])
        field = request.param("sort") or "created_at"
        descending = (request.param("order") or "desc") == "desc"
        rows = sorted(rows, key=lambda r: (str(r.get(field) or ""), self._order[_record_id(r)]), reverse=descending)
        pages = page_count(len(rows), limit)
        pagination = {
            "page": page,
            "limit": limit,
            "total": len(rows),
            "totalPages": pages,
            "hasNext": page < pages,
            "hasPrev": page > 1,
        }
        chosen = rows[(page - 1) * limit : page * limit]
        return FakeResponse(200, {"data": [render(r) for r in chosen], "pagination": pagination})


def _record_id(record: _Record) -> str:
    return str(record.get("contact_name_id") or record.get("client_id"))


def _refuse_unknown(body: Mapping[str, Any], allowed: frozenset[str]) -> None:
    unknown = unknown_keys(body, allowed)
    if unknown:
        raise ValueError(f"fields Alga does not take: {unknown}")


def _check_uuid(value: str, kind: str) -> None:
    try:
        uuid.UUID(value)
    except ValueError:
        raise AlgaRefusal(400, "VALIDATION_ERROR", f"Invalid {kind} id format") from None


def _positive(value: str | None, default: int, name: str) -> int:
    if value is None:
        return default
    if not _INTEGER.fullmatch(value) or int(value) < 1:
        raise AlgaRefusal(400, "VALIDATION_ERROR", "Query validation failed", [f"{name} must be a positive integer"])
    return int(value)


def _flag(value: str | None) -> bool | None:
    if value is None:
        return None
    if value not in ("true", "false"):
        raise AlgaRefusal(400, "VALIDATION_ERROR", "Query validation failed", ["expected true or false"])
    return value == "true"


def _substring_filters(request: FakeRequest, names: Sequence[str]) -> list[tuple[str, str]]:
    return [(name, value.lower()) for name in names if (value := request.param(name))]
