"""`HaloFake`: HaloPSA's REST API (`/api`) for users (contacts), clients and sites, and its OAuth2
auth server (`/auth`), on 127.0.0.1.

    with HaloFake() as fake:
        ids = fake.load(clients=[{"name": "Northwind", "website": "nw.example"}])
        # GET {fake.base_url}/authinfo -> auth_url; POST {auth_url}/token (form: grant_type=client_credentials,
        # client_id, client_secret, scope=all) -> access_token; then "Authorization: Bearer <token>"

Served as `psa-specs/halopsa.json` shapes the requests: `GET /api/Users` (filters `client_id`, `site_id`,
`search`; inactive users only with `includeinactive=true`, active ones dropped by `includeactive=false`;
paging `pageinate=true&page_size=&page_no=` from 1, default size 50), `POST /api/Users` with a JSON
array (an item with an `id` updates that user, partially: only the keys sent change; one without
creates, and needs a `site_id` of an existing site), `GET|DELETE /api/Users/{id}`, the same for
`/api/Client` (`website`, `domain`; a new client gets a site "Main" as `main_site_id`), and
`GET /api/FieldInfo[/{id}]` (custom field definitions; define them with `define_field`). A save is all
or nothing and answers the saved item (a list when several were sent).

Outside the spec extract (served, marked in `outside_extract`, not spec-checked): `GET /api/authinfo`
(answers `auth_url`, `resource_server`, `tenant`), `POST /auth/token`, `GET /api/Site?client_id=`. The
API root is the server root, as the auth server sits beside `/api`: give fault paths as sent
(`/api/Users`). Tokens last `token_lifetime` seconds (`expire_tokens()` ends them at once); an API call
without a live Bearer token is 401. `token_requests` counts token grants asked for.

Guessed where Halo's docs are silent (responses are declared only as "Success"): the list shapes
(`{"record_count", "users"|"clients"|"sites": [...]}`, plus `page_no` and `page_size` when paginated;
`/FieldInfo` a bare array); sort by name then id; `search` covers names and the three emails; list rows
render as single GETs do; error bodies `{"message", "details"}` (OAuth errors `{"error"}`); no
published rate limit, so 300 requests per rolling 5 minutes (as hosted users report), 429 without
`Retry-After` unless `send_retry_after=True`; with `tenant=` set, a token request must carry
`?tenant=<it>`. `_dont_fire_automations: true` is accepted and its effect unconfirmed: `automations_fired`
counts the saved items sent without it, so a test can see which writes would echo back. DELETE works,
and every DELETE is in `deletes`: the sync must never send one.
"""

from __future__ import annotations

import copy
import secrets
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any
from urllib.parse import parse_qs

from shared.devtools.psa_fakes.base import PsaFake
from shared.devtools.psa_fakes.extract import OutsideExtract
from shared.devtools.psa_fakes.halopsa_records import (
    CLIENTS_TABLE,
    USERS_TABLE,
    HaloRefusal,
    apply_client,
    apply_user,
    field_info,
    int_or_none,
    listing,
    new_client,
    new_user,
    render_client,
    render_site,
    render_user,
    resolve_custom_values,
    text_matches,
)
from shared.devtools.psa_fakes.ratelimit import SlidingWindow
from shared.devtools.psa_fakes.spec import SpecChecker
from shared.devtools.psa_fakes.wire import FakeRequest, FakeResponse, LoadedIds, Route

__all__ = ["HaloFake"]

_Record = dict[str, Any]
_SEARCHED = ("name", "firstname", "surname", "emailaddress", "email2", "email3")


class HaloFake(PsaFake):
    """HaloPSA users, clients and sites behind OAuth2; see the module docstring for shapes and guesses."""

    vendor = "halopsa"
    api_root = ""

    def __init__(
        self,
        *,
        client_id: str = "halo-test-client",
        client_secret: str = "halo-test-secret",
        tenant: str | None = None,
        token_lifetime: float = 3600.0,
        rate_limit: int | None = 300,
        rate_window: float = 300.0,
        send_retry_after: bool = False,
        page_size: int = 50,
        spec: SpecChecker | None = None,
    ) -> None:
        limiter = SlidingWindow(rate_limit, rate_window) if rate_limit is not None else None
        super().__init__(limiter=limiter, send_retry_after=send_retry_after, spec=spec)
        self.client_id, self.client_secret, self.tenant = client_id, client_secret, tenant
        self.token_lifetime = token_lifetime
        self.page_size = page_size
        self.outside = OutsideExtract(("GET", "/api/authinfo"), ("POST", "/auth/token"), ("GET", "/api/Site"))
        self._tokens: dict[str, float] = {}  # access token -> when it expires (monotonic)
        self._token_requests = 0
        self._automations = 0
        self._token_lock = threading.Lock()
        self._clients: dict[int, _Record] = {}
        self._sites: dict[int, _Record] = {}
        self._users: dict[int, _Record] = {}
        self._fields: dict[int, _Record] = {}
        self._last_ids = dict.fromkeys(("client", "site", "user", "field"), 0)

    # --- state for tests -------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        """`http://127.0.0.1:PORT/api`: the resource server."""
        return self.root_url + "/api"

    @property
    def auth_url(self) -> str:
        """`http://127.0.0.1:PORT/auth`: the authorisation server (tokens at `<auth_url>/token`)."""
        return self.root_url + "/auth"

    @property
    def token_requests(self) -> int:
        with self._token_lock:
            return self._token_requests

    @property
    def automations_fired(self) -> int:
        """Saved users and clients sent without `_dont_fire_automations: true`."""
        with self._lock:
            return self._automations

    @property
    def outside_extract(self) -> list[str]:
        return self.outside.hits

    def expire_tokens(self) -> None:
        """End every access token issued so far (the next API call with one is 401)."""
        with self._token_lock:
            self._tokens = dict.fromkeys(self._tokens, 0.0)

    def define_field(self, name: str, *, table: str = USERS_TABLE, label: str | None = None) -> int:
        """Define a custom field of `Users` or `Area` (clients); answers its id."""
        if table not in (USERS_TABLE, CLIENTS_TABLE):
            raise ValueError(f"custom fields belong to {USERS_TABLE!r} or {CLIENTS_TABLE!r}, not {table!r}")
        with self._lock:
            field_id = self._next_id("field")
            self._fields[field_id] = {"id": field_id, "name": name, "label": label or name, "table": table}
            return field_id

    def load(
        self, clients: Sequence[Mapping[str, Any]] = (), contacts: Sequence[Mapping[str, Any]] = ()
    ) -> LoadedIds[int]:
        """Store clients (`Area` fields; each gets its main site) and users (`Users` fields, with a
        `site_id`, or a `client_id` whose main site they join), by the API's rules (ValueError when they
        refuse one). Answers the ids, in the order given."""
        client_ids, user_ids = [], []
        with self._lock:
            try:
                for given in clients:
                    client_ids.append(self._save_client(dict(given)))
                for given in contacts:
                    body = dict(given)
                    if "site_id" not in body and body.get("client_id") in self._clients:
                        body["site_id"] = self._clients[body["client_id"]]["main_site_id"]
                    user_ids.append(self._save_user(body))
            except HaloRefusal as refusal:
                raise ValueError(f"Halo would refuse this record: {refusal.message}") from refusal
        return LoadedIds(client_ids, user_ids)

    def clients(self) -> list[dict[str, Any]]:
        """The clients, rendered as `GET /api/Client/{id}` would, by id."""
        with self._lock:
            return [self._render_client(c) for _, c in sorted(self._clients.items())]

    def contacts(self) -> list[dict[str, Any]]:
        """The users, rendered as `GET /api/Users/{id}` would, by id."""
        with self._lock:
            return [self._render_user(u) for _, u in sorted(self._users.items())]

    # --- the vendor's edges ----------------------------------------------------------------------

    def routes(self) -> list[Route]:
        return [
            Route("GET", "/api/authinfo", self._authinfo),
            Route("POST", "/auth/token", self._token),
            Route("GET", "/api/Users", self._list_users),
            Route("POST", "/api/Users", self._post_users),
            Route("GET", "/api/Users/{id}", self._get_user),
            Route("DELETE", "/api/Users/{id}", self._delete_user),
            Route("GET", "/api/Client", self._list_clients),
            Route("POST", "/api/Client", self._post_clients),
            Route("GET", "/api/Client/{id}", self._get_client),
            Route("DELETE", "/api/Client/{id}", self._delete_client),
            Route("GET", "/api/Site", self._list_sites),
            Route("GET", "/api/FieldInfo", self._list_fields),
            Route("GET", "/api/FieldInfo/{id}", self._get_field),
        ]

    def authorized(self, request: FakeRequest) -> bool:
        if request.path == "/api/authinfo" or request.path.startswith("/auth/"):
            return True
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        with self._token_lock:
            expiry = self._tokens.get(token.strip()) if scheme.lower() == "bearer" else None
        return expiry is not None and time.monotonic() < expiry

    def check_request(self, request: FakeRequest) -> tuple[Any, list[str]]:
        outside = self.outside.check(request)
        return outside if outside is not None else super().check_request(request)

    def error(self, status: int, code: str, message: str, details: Any = None) -> FakeResponse:
        payload: dict[str, Any] = {"message": message}
        if details is not None:
            payload["details"] = details
        response = FakeResponse(status, payload)
        if status == 401:
            response.headers["WWW-Authenticate"] = 'Bearer error="invalid_token"'
        return response

    # --- auth ------------------------------------------------------------------------------------

    def _authinfo(self, request: FakeRequest, _: dict[str, str]) -> FakeResponse:
        return FakeResponse(200, {"auth_url": self.auth_url, "resource_server": self.base_url, "tenant": self.tenant})

    def _token(self, request: FakeRequest, _: dict[str, str]) -> FakeResponse:
        form = {key: values[-1] for key, values in parse_qs(request.raw_body.decode("utf-8", "replace")).items()}
        with self._token_lock:
            self._token_requests += 1
        if self.tenant is not None and request.param("tenant") != self.tenant:
            return FakeResponse(400, {"error": "invalid_request", "error_description": "unknown tenant"})
        if form.get("grant_type") != "client_credentials":
            return FakeResponse(400, {"error": "unsupported_grant_type"})
        if (form.get("client_id"), form.get("client_secret")) != (self.client_id, self.client_secret):
            return FakeResponse(401, {"error": "invalid_client"})
        if form.get("scope", "").split() != ["all"]:
            return FakeResponse(400, {"error": "invalid_scope"})
        token = secrets.token_urlsafe(24)
        with self._token_lock:
            self._tokens[token] = time.monotonic() + self.token_lifetime
        grant = {"token_type": "Bearer", "access_token": token, "expires_in": max(1, round(self.token_lifetime))}
        return FakeResponse(200, {**grant, "scope": "all"})

    # --- users -----------------------------------------------------------------------------------

    def _list_users(self, request: FakeRequest, _: dict[str, str]) -> FakeResponse:
        client, site = int_or_none(request.param("client_id")), int_or_none(request.param("site_id"))
        search = (request.param("search") or "").lower()
        inactive, active = request.param("includeinactive") == "true", request.param("includeactive") != "false"
        with self._lock:
            rows = [
                u
                for u in self._users.values()
                if (inactive if u["inactive"] else active)
                and (client is None or self._sites[u["site_id"]]["client_id"] == client)
                and (site is None or u["site_id"] == site)
                and (not search or text_matches(u, search, _SEARCHED))
            ]
            rows.sort(key=lambda u: (str(u["name"]).lower(), u["id"]))
            return self._listing(request, "users", [self._render_user(u) for u in rows])

    def _post_users(self, request: FakeRequest, _: dict[str, str]) -> FakeResponse:
        with self._lock:
            saved = self._all_or_nothing(request, self._save_user)
            return _saved([self._render_user(self._users[i]) for i in saved])

    def _get_user(self, request: FakeRequest, params: dict[str, str]) -> FakeResponse:
        with self._lock:
            return FakeResponse(200, self._render_user(self._user(int(params["id"]))))

    def _delete_user(self, request: FakeRequest, params: dict[str, str]) -> FakeResponse:
        with self._lock:
            del self._users[self._user(int(params["id"]))["id"]]
        return FakeResponse(200)

    def _save_user(self, body: dict[str, Any]) -> int:
        custom = resolve_custom_values(body.get("customfields") or [], self._fields, USERS_TABLE)
        if "site_id" in body and int_or_none(str(body["site_id"])) not in self._sites:
            raise HaloRefusal(400, "INVALID", f"site {body['site_id']!r} does not exist")
        user_id = body.get("id")
        if user_id:
            apply_user(self._user(int(user_id)), body, custom)
        else:
            if body.get("site_id") is None:
                raise HaloRefusal(400, "INVALID", "a new user needs a site_id")
            user_id = self._next_id("user")
            self._users[user_id] = new_user(user_id, body, custom)
        return int(user_id)

    def _user(self, user_id: int) -> _Record:
        record = self._users.get(user_id)
        if record is None:
            raise HaloRefusal(404, "NOT_FOUND", f"user {user_id} not found")
        return record

    def _render_user(self, record: _Record) -> dict[str, Any]:
        site = self._sites.get(record["site_id"])
        return render_user(record, site, self._clients.get(site["client_id"]) if site else None, self._fields)

    # --- clients, sites and fields ---------------------------------------------------------------

    def _list_clients(self, request: FakeRequest, _: dict[str, str]) -> FakeResponse:
        search = (request.param("search") or "").lower()
        inactive, active = request.param("includeinactive") == "true", request.param("includeactive") != "false"
        with self._lock:
            rows = [
                c
                for c in self._clients.values()
                if (inactive if c["inactive"] else active) and (not search or search in str(c["name"]).lower())
            ]
            rows.sort(key=lambda c: (str(c["name"]).lower(), c["id"]))
            return self._listing(request, "clients", [self._render_client(c) for c in rows])

    def _post_clients(self, request: FakeRequest, _: dict[str, str]) -> FakeResponse:
        with self._lock:
            saved = self._all_or_nothing(request, self._save_client)
            return _saved([self._render_client(self._clients[i]) for i in saved])

    def _get_client(self, request: FakeRequest, params: dict[str, str]) -> FakeResponse:
        with self._lock:
            return FakeResponse(200, self._render_client(self._client(int(params["id"]))))

    def _delete_client(self, request: FakeRequest, params: dict[str, str]) -> FakeResponse:
        with self._lock:
            client_id = self._client(int(params["id"]))["id"]
            if any(self._sites[u["site_id"]]["client_id"] == client_id for u in self._users.values()):
                raise HaloRefusal(400, "INVALID", "the client still has users")
            del self._clients[client_id]
        return FakeResponse(200)

    def _save_client(self, body: dict[str, Any]) -> int:
        custom = resolve_custom_values(body.get("customfields") or [], self._fields, CLIENTS_TABLE)
        client_id = body.get("id")
        if client_id:
            record = self._client(int(client_id))
            site = body.get("main_site_id")
            if site is not None and self._sites.get(site, {}).get("client_id") != record["id"]:
                raise HaloRefusal(400, "INVALID", f"site {site!r} is not a site of client {record['id']}")
            apply_client(record, body, custom)
            record["main_site_id"] = site if site is not None else record["main_site_id"]
        else:
            client_id = self._next_id("client")
            self._clients[client_id] = record = new_client(client_id, body, custom)
            site_id = self._next_id("site")
            self._sites[site_id] = {"id": site_id, "name": "Main", "client_id": client_id, "inactive": False}
            record["main_site_id"] = site_id
        return int(client_id)

    def _client(self, client_id: int) -> _Record:
        record = self._clients.get(client_id)
        if record is None:
            raise HaloRefusal(404, "NOT_FOUND", f"client {client_id} not found")
        return record

    def _render_client(self, record: _Record) -> dict[str, Any]:
        return render_client(record, self._sites.get(record["main_site_id"]), self._fields)

    def _list_sites(self, request: FakeRequest, _: dict[str, str]) -> FakeResponse:
        client = int_or_none(request.param("client_id"))
        with self._lock:
            rows = [s for _, s in sorted(self._sites.items()) if client is None or s["client_id"] == client]
            sites = [render_site(s, self._clients.get(s["client_id"])) for s in rows]
        return FakeResponse(200, {"record_count": len(sites), "sites": sites})

    def _list_fields(self, request: FakeRequest, _: dict[str, str]) -> FakeResponse:
        with self._lock:
            return FakeResponse(200, [field_info(f) for _, f in sorted(self._fields.items())])

    def _get_field(self, request: FakeRequest, params: dict[str, str]) -> FakeResponse:
        with self._lock:
            definition = self._fields.get(int(params["id"]))
            if definition is None:
                raise HaloRefusal(404, "NOT_FOUND", f"field {params['id']} not found")
            return FakeResponse(200, field_info(definition))

    # --- shared ----------------------------------------------------------------------------------

    def _all_or_nothing(self, request: FakeRequest, save: Callable[[dict[str, Any]], int]) -> list[int]:
        """Save every item of the array, or none: a refusal puts the tables back as they were."""
        items = request.json if isinstance(request.json, list) else []
        before = copy.deepcopy((self._clients, self._sites, self._users, self._last_ids))
        try:
            saved = [save(dict(item)) for item in items]
        except HaloRefusal:
            self._clients, self._sites, self._users, self._last_ids = before
            raise
        self._automations += sum(item.get("_dont_fire_automations") is not True for item in items)
        return saved

    def _next_id(self, kind: str) -> int:
        self._last_ids[kind] += 1
        return self._last_ids[kind]

    def _listing(self, request: FakeRequest, key: str, rows: list[dict[str, Any]]) -> FakeResponse:
        return FakeResponse(200, listing(request.query, key, rows, self.page_size))


def _saved(rendered: list[dict[str, Any]]) -> FakeResponse:
    return FakeResponse(200, rendered[0] if len(rendered) == 1 else rendered)
