"""The simulated Microsoft Graph v1.0: the paths the app reads, answered from `DirectoryState`.

Every call needs a bearer token from the simulated token endpoint; the data served is that of the
tenant the token was issued for, as with real Graph. Answers follow Graph's documented shapes:
collections as `{"@odata.context", "@odata.nextLink"?, "value"}` with absolute next links carrying
a `$skiptoken`; errors as `{"error": {"code", "message", "innerError"}}`.

Behaviours worth knowing (see the module docs of `state` and `faults` too):

* `/users`: `$select` (unknown names 400, single-user-only names 501), `$top` 1-999 (default 100;
  1-500 when `signInActivity` is selected), `$filter` of `eq`/`ne` clauses joined by `and`.
  `signInActivity` on a tenant without Entra ID P1: 403 `Authentication_RequestFromNonPremiumTenantOrB2CTenant`.
* `/users/delta` (also `delta()` and `microsoft.graph.delta`): pages of 200, `$top` ignored as
  Graph documents for users; the last page carries `@odata.deltaLink`. A delta link returns the
  users changed since it was issued: changed or new users with the same selected properties as the
  first round (with `Prefer: return=minimal`, only the changed ones), soft-deleted users as
  `{"id", "@removed": {"reason": "changed"}}`. Properties never set (null) are left out of delta
  objects, as Graph documents. `$deltatoken=latest` gives a delta link and no data.
  `signInActivity` in `$select` is 400. An unknown or expired token is 410 `syncStateNotFound`
  with a `Location` header for a fresh start.
* `/reports/authenticationMethods/userRegistrationDetails`: 403 without P1; 5 requests per 10 s
  per tenant, then 429 with `Retry-After`.
* `/tenantRelationships/...`: only with a token of the partner tenant, else 403.
* An unknown path segment is 400 `BadRequest` "Resource not found for the segment '...'" (what
  Graph answers); an unknown user or group id is 404 `Request_ResourceNotFound`.
* `POST /$batch`: up to 20 requests, `dependsOn`, each answered (faulted, rate-limited, logged) on its
  own with its own status and headers: see `batch`.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode

from shared.devtools.simulator.batch import answer_batch
from shared.devtools.simulator.faults import FaultSet, RateLimiter
from shared.devtools.simulator.odata import FilterError, compile_filter, decode_state, encode_state, parse_select
from shared.devtools.simulator.state import DeltaItem, DirectoryState, TenantDirectory
from shared.devtools.simulator.tokens import GRAPH_AUDIENCES, TokenIssuer
from shared.devtools.simulator.user_properties import (
    DEFAULT_USER_PROPERTIES,
    LIST_VALUED_PROPERTIES,
    NOT_IN_COLLECTIONS,
    is_user_property,
)
from shared.devtools.simulator.wire import Request, Response, graph_error, json_response
from shared.errors import NotFound

__all__ = ["GraphApi", "GraphLog"]

GraphLog = Callable[[Request, str, str | None, Response, bool], None]  # request, path, tenant, response, in_batch

_LINK_SAFE = "$,()'/"
DELTA_PAGE_SIZE = 200
SIGN_IN_ACTIVITY = "signInActivity"
DIRECTORY_READERS = "88d8e3e3-8f55-4a1e-953a-9b9898b8876b"
USER_ADMINISTRATOR = "fe930be7-5e62-47db-91af-98c3a49a38b1"
NON_PREMIUM = (
    "Authentication_RequestFromNonPremiumTenantOrB2CTenant",
    "Neither tenant is B2C or tenant doesn't have premium license",
)
WWW_AUTHENTICATE = (
    'Bearer realm="", authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize", '
    'client_id="00000003-0000-0000-c000-000000000000"'
)


@dataclass
class Call:
    request: Request
    path: str  # normalised, relative to /v1.0
    directory: TenantDirectory
    is_partner: bool
    params: dict[str, str]

    @property
    def query(self) -> dict[str, str]:
        return self.request.query


Handler = Callable[["GraphApi", Call], Response]


def _normalise(path: str) -> str:
    segments = []
    for segment in path.strip("/").split("/"):
        lowered = segment.lower()
        if lowered in ("delta()", "microsoft.graph.delta", "microsoft.graph.delta()"):
            segment = "delta"
        elif lowered == "microsoft.graph.user":
            segment = "graph.user"
        if segment:
            segments.append(segment)
    return "/" + "/".join(segments)


class GraphApi:
    def __init__(
        self,
        state: DirectoryState,
        tokens: TokenIssuer,
        faults: FaultSet,
        log: GraphLog,
        *,
        report_limiter: RateLimiter,
        instance_id: str,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.state, self.tokens, self.faults, self.log = state, tokens, faults, log
        self.report_limiter, self.instance_id, self.sleep = report_limiter, instance_id, sleep
        self.base_url = ""  # http://127.0.0.1:PORT/v1.0, set once the server listens
        self.subscriptions: Callable[[Call], Response] | None = None  # SubscriptionsApi.handle (the server sets it)

    # --- dispatch --------------------------------------------------------------------------------

    def handle(self, request: Request, *, in_batch: bool = False) -> Response:
        path = request.path
        if path != "/v1.0" and not path.startswith("/v1.0/"):
            version = path.strip("/").split("/")[0]
            response = graph_error(request, 400, "BadRequest", f"Invalid version: {version}")
            self.log(request, path, None, response, in_batch)
            return response
        relative = _normalise(path[len("/v1.0") :])
        tenant: str | None = None
        authenticated = self._authenticate(request)
        if isinstance(authenticated, Call):
            tenant = authenticated.directory.tenant_id
            authenticated.path = relative
            response = self._serve(authenticated, in_batch)
        else:
            response = authenticated
        self.log(request, relative, tenant, response, in_batch)
        return response

    def _authenticate(self, request: Request) -> Call | Response:
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return self._unauthorized(request, "Access token is empty.")
        grant = self.tokens.lookup(token.strip())
        if grant is None:
            return self._unauthorized(request, "Invalid JWT access token.")
        if grant.expires_at < time.time():
            return self._unauthorized(request, "Lifetime validation failed, the token is expired.")
        if grant.audience not in GRAPH_AUDIENCES:
            return self._unauthorized(request, "Access token validation failure. Invalid audience.")
        directory = self.state.get(grant.tenant_id)
        is_partner = directory.tenant_id == self.state.partner_tenant_id
        return Call(request, "", directory, is_partner, {})

    @staticmethod
    def _unauthorized(request: Request, message: str) -> Response:
        headers = {"WWW-Authenticate": WWW_AUTHENTICATE}
        return graph_error(request, 401, "InvalidAuthenticationToken", message, headers)

    def _serve(self, call: Call, in_batch: bool) -> Response:
        delay, fault = self.faults.take("graph", call.directory.tenant_id, call.path)
        if delay:
            self.sleep(delay)
        if fault is not None and fault.status is not None:
            headers = {"Retry-After": str(fault.retry_after)} if fault.retry_after is not None else {}
            code, message = {
                429: ("TooManyRequests", "Please retry again later."),
                503: ("serviceNotAvailable", "The service is temporarily unavailable. Please retry later."),
            }.get(fault.status, ("generalException", "An unspecified error has occurred."))
            return graph_error(call.request, fault.status, fault.code or code, fault.message or message, headers)
        handler, params, unknown = _route(call.request.method, call.path)
        if handler is None:
            if unknown is None:
                return graph_error(
                    call.request,
                    405,
                    "Request_BadRequest",
                    "Specified HTTP method is not allowed for the request target.",
                )
            return graph_error(call.request, 400, "BadRequest", f"Resource not found for the segment '{unknown}'.")
        if in_batch and handler is GraphApi.batch:
            return graph_error(call.request, 400, "BadRequest", "A $batch request cannot contain $batch.")
        call.params = params
        try:
            return handler(self, call)
        except NotFound as exc:
            return self._not_found(call, str(exc))

    # --- helpers ---------------------------------------------------------------------------------

    @staticmethod
    def _not_found(call: Call, object_id: str) -> Response:
        return graph_error(
            call.request,
            404,
            "Request_ResourceNotFound",
            f"Resource '{object_id}' does not exist or one of its queried reference-property objects are not present.",
        )

    def _context(self, fragment: str) -> str:
        return f"{self.base_url}/$metadata#{fragment}"

    def _link(self, call: Call, **state: Any) -> str:
        """The absolute next link: the same path and query options, with a new $skiptoken."""
        options = [
            (k, v) for k, v in parse_qsl(call.request.raw_query, keep_blank_values=True) if k.lower() != "$skiptoken"
        ]
        options.append(("$skiptoken", encode_state(state)))
        return f"{self.base_url}{call.path}?{urlencode(options, safe=_LINK_SAFE, quote_via=quote)}"

    def _page(
        self,
        call: Call,
        items: list[dict[str, Any]],
        render: Callable[[dict[str, Any]], dict[str, Any]],
        *,
        context: str,
        default_top: int = 100,
        max_top: int = 999,
        top_message: str | None = None,
    ) -> Response:
        top = default_top
        if "$top" in call.query:
            try:
                top = int(call.query["$top"])
            except ValueError:
                top = 0
            if not 1 <= top <= max_top:
                message = top_message or (
                    f"Invalid page size specified: '{call.query['$top']}'. Must be between 1 and {max_top} inclusive."
                )
                return graph_error(call.request, 400, "Request_UnsupportedQuery", message)
        offset = 0
        if "$skiptoken" in call.query:
            state = decode_state(call.query["$skiptoken"])
            if state is None or state.get("p") != call.path or not isinstance(state.get("o"), int):
                return graph_error(call.request, 400, "Request_BadRequest", "The specified page token is invalid.")
            offset = state["o"]
        chunk = items[offset : offset + top]
        payload: dict[str, Any] = {"@odata.context": self._context(context)}
        if offset + top < len(items):
            payload["@odata.nextLink"] = self._link(call, p=call.path, o=offset + top)
        payload["value"] = [render(item) for item in chunk]
        return json_response(200, payload)

    def _filtered(self, call: Call, items: list[dict[str, Any]], resource: str) -> list[dict[str, Any]] | Response:
        expression = call.query.get("$filter")
        if "$search" in call.query:
            return graph_error(
                call.request, 400, "Request_UnsupportedQuery", "The Graph simulator does not support $search."
            )
        if not expression:
            return items
        try:
            predicate = compile_filter(expression)
        except FilterError as exc:
            return graph_error(
                call.request,
                400,
                "Request_UnsupportedQuery",
                f"Unsupported or invalid query filter clause specified for property '{exc}' of resource "
                f"'{resource}'. (The Graph simulator supports 'eq' and 'ne' clauses joined by 'and'.)",
            )
        return [item for item in items if predicate(item)]

    def _user_fields(self, call: Call, *, collection: bool, delta: bool = False) -> list[str] | Response:
        fields = parse_select(call.query.get("$select"))
        if fields is None:
            return list(DEFAULT_USER_PROPERTIES)
        unknown = [name for name in fields if not is_user_property(name) or name.startswith("@")]
        if unknown:
            return graph_error(
                call.request,
                400,
                "BadRequest",
                f"Parsing OData Select and Expand failed: Could not find a property named '{unknown[0]}' "
                "on type 'microsoft.graph.user'.",
            )
        if delta and SIGN_IN_ACTIVITY in fields:
            return graph_error(
                call.request,
                400,
                "BadRequest",
                "Invalid request for delta query: for this entity set, $expand/$select is not supported "
                "for the following properties: signInActivity",
            )
        if collection and any(name in NOT_IN_COLLECTIONS for name in fields):
            return graph_error(call.request, 501, "NotImplemented", "This operation target is not yet supported.")
        if SIGN_IN_ACTIVITY in fields and not call.directory.premium:
            return graph_error(call.request, 403, *NON_PREMIUM)
        return fields

    @staticmethod
    def _project(item: dict[str, Any], fields: list[str], *, keep_none: bool = True) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name in fields:
            value = item.get(name, [] if name in LIST_VALUED_PROPERTIES else None)
            if value is not None or keep_none:
                out[name] = value
        if "id" not in out:
            out["id"] = item["id"]
        return out

    def _partner_only(self, call: Call) -> Response | None:
        if call.is_partner:
            return None
        return graph_error(
            call.request, 403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation."
        )

    # --- endpoints -------------------------------------------------------------------------------

    def users(self, call: Call) -> Response:
        fields = self._user_fields(call, collection=True)
        if isinstance(fields, Response):
            return fields
        with self.state.locked():
            users = list(call.directory.users.values())
        filtered = self._filtered(call, users, "User")
        if isinstance(filtered, Response):
            return filtered
        sign_in = SIGN_IN_ACTIVITY in fields
        return self._page(
            call,
            filtered,
            lambda user: self._project(user, fields),
            context="users",
            max_top=500 if sign_in else 999,
            top_message="Cannot query data for more than 500 users at a time." if sign_in else None,
        )

    def user(self, call: Call) -> Response:
        key = call.params["id"]
        with self.state.locked():
            user = call.directory.users.get(key) or next(
                (
                    u
                    for u in call.directory.users.values()
                    if str(u.get("userPrincipalName", "")).lower() == key.lower()
                ),
                None,
            )
        if user is None:
            return self._not_found(call, key)
        fields = self._user_fields(call, collection=False)
        if isinstance(fields, Response):
            return fields
        return json_response(200, {"@odata.context": self._context("users/$entity"), **self._project(user, fields)})

    def users_delta(self, call: Call) -> Response:
        directory = call.directory
        token = call.query.get("$deltatoken") or call.query.get("$skiptoken")
        if "$filter" in call.query:
            return graph_error(
                call.request,
                400,
                "Request_UnsupportedQuery",
                "The Graph simulator does not support $filter on delta queries.",
            )
        if token is None:
            fields = self._user_fields(call, collection=True, delta=True)
            if isinstance(fields, Response):
                return fields
            selected = "$select" in call.query
            with self.state.locked():
                seq = directory.seq
            state = {"k": "i", "s": seq, "o": 0, "f": fields, "x": selected}
        elif token == "latest" and "$deltatoken" in call.query:
            fields = self._user_fields(call, collection=True, delta=True)
            if isinstance(fields, Response):
                return fields
            with self.state.locked():
                seq = directory.seq
            link_state = {"k": "d", "s": seq, "f": fields, "x": "$select" in call.query}
            return self._delta_page(call, [], None, link_state)
        else:
            decoded = decode_state(token)
            if not self._delta_token_valid(decoded, directory):
                return self._sync_state_not_found(call, decoded)
            assert decoded is not None
            state = decoded
        return self._delta_round(call, state)

    def _delta_token_valid(self, state: dict[str, Any] | None, directory: TenantDirectory) -> bool:
        return (
            state is not None
            and state.get("n") == self.instance_id
            and state.get("t") == directory.tenant_id
            and state.get("e") == directory.delta_epoch
            and state.get("k") in ("i", "d", "c")
        )

    def _sync_state_not_found(self, call: Call, state: dict[str, Any] | None) -> Response:
        fields = state.get("f") if state and state.get("x") else None
        restart = f"{self.base_url}/users/delta"
        if isinstance(fields, list):
            restart += "?$select=" + ",".join(str(f) for f in fields)
        return graph_error(
            call.request,
            410,
            "syncStateNotFound",
            "The sync state generation is not found. The delta token is expired and data must be synchronized again.",
            {"Location": restart},
        )

    def _delta_round(self, call: Call, state: dict[str, Any]) -> Response:
        directory = call.directory
        fields: list[str] = state["f"]
        minimal = "return=minimal" in call.request.headers.get("prefer", "").replace(" ", "").lower()
        if state["k"] == "i":  # the first round: every current user
            offset = int(state.get("o", 0))
            with self.state.locked():
                users = list(directory.users.values())
            chunk = [self._project(user, fields, keep_none=False) for user in users[offset : offset + DELTA_PAGE_SIZE]]
            if offset + DELTA_PAGE_SIZE < len(users):
                return self._delta_page(call, chunk, {**state, "o": offset + DELTA_PAGE_SIZE}, None)
            return self._delta_page(call, chunk, None, {"k": "d", "s": state["s"], "f": fields, "x": state["x"]})
        if state["k"] == "d":  # a delta link: changes since its position, up to now
            with self.state.locked():
                state = {"k": "c", "a": state["s"], "b": directory.seq, "o": 0, "f": fields, "x": state["x"]}
        with self.state.locked():
            items = directory.changes_between(state["a"], state["b"])
        tracked = set(fields) if state["x"] else None
        visible = [item for item in items if _delta_visible(item, tracked)]
        offset = int(state["o"])
        chunk = [self._delta_object(item, fields, minimal) for item in visible[offset : offset + DELTA_PAGE_SIZE]]
        headers = {"Preference-Applied": "return=minimal"} if minimal else {}
        if offset + DELTA_PAGE_SIZE < len(visible):
            return self._delta_page(call, chunk, {**state, "o": offset + DELTA_PAGE_SIZE}, None, headers)
        link = {"k": "d", "s": state["b"], "f": fields, "x": state["x"]}
        return self._delta_page(call, chunk, None, link, headers)

    def _delta_object(self, item: DeltaItem, fields: list[str], minimal: bool) -> dict[str, Any]:
        if item.user is None:
            return {"id": item.user_id, "@removed": {"reason": "changed"}}
        if item.recreated:
            return self._project(item.user, fields, keep_none=False)
        if minimal:
            return self._project(item.user, [name for name in fields if name in item.changed])
        out = self._project(item.user, fields, keep_none=False)
        for name in fields:  # a property set to null in this window is sent as null
            if name in item.changed and name not in out:
                out[name] = None
        return out

    def _delta_page(
        self,
        call: Call,
        value: list[dict[str, Any]],
        next_state: dict[str, Any] | None,
        link_state: dict[str, Any] | None,
        headers: dict[str, str] | None = None,
    ) -> Response:
        stamp = {"n": self.instance_id, "t": call.directory.tenant_id, "e": call.directory.delta_epoch}
        payload: dict[str, Any] = {"@odata.context": self._context("users")}
        if next_state is not None:
            payload["@odata.nextLink"] = (
                f"{self.base_url}/users/delta?$skiptoken={encode_state({**next_state, **stamp})}"
            )
        payload["value"] = value
        if link_state is not None:
            payload["@odata.deltaLink"] = (
                f"{self.base_url}/users/delta?$deltatoken={encode_state({**link_state, **stamp})}"
            )
        return json_response(200, payload, headers)

    def organization(self, call: Call) -> Response:
        directory = call.directory
        domains = [
            {"capabilities": "Email, OfficeCommunicationsOnline", "isDefault": False, "isInitial": False, **domain}
            for domain in directory.verified_domains
        ]
        org = {
            "id": directory.tenant_id,
            "displayName": directory.display_name,
            "tenantType": "AAD",
            "verifiedDomains": domains,
        }
        return self._page(call, [org], _selector(call), context="organization")

    def subscribed_skus(self, call: Call) -> Response:
        directory = call.directory
        items = [
            {
                "accountName": directory.display_name,
                "accountId": directory.tenant_id,
                "appliesTo": "User",
                "capabilityStatus": "Enabled",
                "id": f"{directory.tenant_id}_{sku['skuId']}",
                "servicePlans": [],
                "subscriptionIds": [],
                **sku,
            }
            for sku in directory.subscribed_skus
        ]
        return self._page(call, items, _selector(call), context="subscribedSkus", default_top=999)

    def registration_details(self, call: Call) -> Response:
        directory = call.directory
        if not directory.premium:
            return graph_error(call.request, 403, *NON_PREMIUM)
        wait = self.report_limiter.check(directory.tenant_id)
        if wait is not None:
            return graph_error(
                call.request, 429, "TooManyRequests", "Please retry again later.", {"Retry-After": str(wait)}
            )
        with self.state.locked():
            users = list(directory.users.values())
            details = dict(directory.registration_details)
        items = [_registration(user, details.get(user["id"], {})) for user in users]
        filtered = self._filtered(call, items, "UserRegistrationDetails")
        if isinstance(filtered, Response):
            return filtered
        context = "reports/authenticationMethods/userRegistrationDetails"
        return self._page(call, filtered, _selector(call), context=context, default_top=1000, max_top=1000)

    def secure_scores(self, call: Call) -> Response:
        directory = call.directory
        with self.state.locked():
            users = list(directory.users.values())
        active = sum(1 for user in users if user.get("accountEnabled", True))
        licensed = sum(1 for user in users if user.get("assignedLicenses"))
        items = sorted(
            (_secure_score(directory, score, active, licensed) for score in directory.secure_scores),
            key=lambda item: str(item["createdDateTime"]),
            reverse=True,
        )
        return self._page(call, items, _selector(call), context="security/secureScores")

    def groups(self, call: Call) -> Response:
        with self.state.locked():
            groups = [_group(group) for group in call.directory.groups.values()]
        filtered = self._filtered(call, groups, "Group")
        if isinstance(filtered, Response):
            return filtered
        return self._page(call, filtered, _selector(call), context="groups")

    def group(self, call: Call) -> Response:
        with self.state.locked():
            group = call.directory.groups.get(call.params["id"])
        if group is None:
            return self._not_found(call, call.params["id"])
        return json_response(200, {"@odata.context": self._context("groups/$entity"), **_selector(call)(_group(group))})

    def transitive_members(self, call: Call) -> Response:
        members = self.state.transitive_members(call.directory, call.params["id"])
        return self._page(call, members, _selector(call), context="directoryObjects")

    def transitive_users(self, call: Call) -> Response:
        members = self.state.transitive_members(call.directory, call.params["id"])
        fields = self._user_fields(call, collection=True)
        if isinstance(fields, Response):
            return fields
        users = [member for member in members if member["@odata.type"] == "#microsoft.graph.user"]
        filtered = self._filtered(call, users, "User")
        if isinstance(filtered, Response):
            return filtered
        return self._page(
            call,
            filtered,
            lambda user: {"@odata.type": "#microsoft.graph.user", **self._project(user, fields)},
            context="users",
        )

    def relationships(self, call: Call) -> Response:
        if (refused := self._partner_only(call)) is not None:
            return refused
        items = [
            _relationship(self.state.partner_tenant_id, t) for t in self.state.customers() if t.relationship != "none"
        ]
        filtered = self._filtered(call, items, "DelegatedAdminRelationship")
        if isinstance(filtered, Response):
            return filtered
        context = "tenantRelationships/delegatedAdminRelationships"
        return self._page(call, filtered, _selector(call), context=context)

    def customers(self, call: Call) -> Response:
        if (refused := self._partner_only(call)) is not None:
            return refused
        items = [
            {"id": t.tenant_id, "tenantId": t.tenant_id, "displayName": t.display_name}
            for t in self.state.customers()
            if t.relationship == "active"
        ]
        filtered = self._filtered(call, items, "DelegatedAdminCustomer")
        if isinstance(filtered, Response):
            return filtered
        context = "tenantRelationships/delegatedAdminCustomers"
        return self._page(call, filtered, _selector(call), context=context)

    def subscription_call(self, call: Call) -> Response:
        """`/subscriptions`: answered by `subscriptions_api.SubscriptionsApi`."""
        if self.subscriptions is None:
            return graph_error(call.request, 400, "BadRequest", "Resource not found for the segment 'subscriptions'.")
        return self.subscriptions(call)

    def batch(self, call: Call) -> Response:
        return answer_batch(call.request, lambda inner: self.handle(inner, in_batch=True))


def _delta_visible(item: DeltaItem, tracked: set[str] | None) -> bool:
    if item.user is None or item.recreated or tracked is None:
        return True
    return bool(item.changed & tracked)


def _selector(call: Call) -> Callable[[dict[str, Any]], dict[str, Any]]:
    """Render an item with only the `$select`ed properties (plus `id` and `@odata.type`)."""
    fields = parse_select(call.query.get("$select"))
    if fields is None:
        return lambda item: item

    def select(item: dict[str, Any]) -> dict[str, Any]:
        out = {name: item.get(name) for name in fields}
        for annotation in ("@odata.type", "id"):
            if annotation in item:
                out.setdefault(annotation, item[annotation])
        return out

    return select


def _group(group: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in group.items() if key != "members"}


def _registration(user: dict[str, Any], detail: dict[str, Any]) -> dict[str, Any]:
    methods = list(detail.get("methodsRegistered", []))
    registered = bool(detail.get("isMfaRegistered", False))
    preferred = "push" if "microsoftAuthenticatorPush" in methods else ("sms" if "mobilePhone" in methods else "none")
    return {
        "id": user["id"],
        "userPrincipalName": user.get("userPrincipalName"),
        "userDisplayName": user.get("displayName"),
        "userType": "guest" if str(user.get("userType", "Member")).lower() == "guest" else "member",
        "isAdmin": False,
        "isSsprRegistered": False,
        "isSsprEnabled": False,
        "isSsprCapable": False,
        "isMfaRegistered": registered,
        "isMfaCapable": registered,
        "isPasswordlessCapable": False,
        "lastUpdatedDateTime": "2026-01-01T00:00:00Z",
        "methodsRegistered": methods,
        "isSystemPreferredAuthenticationMethodEnabled": True,
        "systemPreferredAuthenticationMethods": [preferred] if preferred != "none" else [],
        "userPreferredMethodForSecondaryAuthentication": preferred,
        **detail,
    }


def _secure_score(directory: TenantDirectory, score: dict[str, Any], active: int, licensed: int) -> dict[str, Any]:
    created = str(score["createdDateTime"])
    return {
        "id": f"{directory.tenant_id}_{created[:10]}",
        "azureTenantId": directory.tenant_id,
        "activeUserCount": active,
        "licensedUserCount": licensed,
        "enabledServices": ["HasExchange", "HasSharePoint", "HasOD4B"],
        "averageComparativeScores": [],
        "controlScores": [],
        "vendorInformation": {
            "provider": "SecureScore",
            "providerVersion": None,
            "subProvider": None,
            "vendor": "Microsoft",
        },
        **score,
    }


def _relationship(partner_tenant_id: str, tenant: TenantDirectory) -> dict[str, Any]:
    relationship_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"gdap:{partner_tenant_id}:{tenant.tenant_id}"))
    return {
        "id": f"{relationship_id}-{tenant.tenant_id}",
        "displayName": f"GDAP {tenant.display_name}"[:50],
        "duration": "P730D",
        "autoExtendDuration": "P180D",
        "status": tenant.relationship,
        "createdDateTime": "2025-01-06T09:00:00Z",
        "lastModifiedDateTime": "2025-01-06T10:00:00Z",
        "activatedDateTime": "2025-01-06T10:00:00Z",
        "endDateTime": "2027-01-06T10:00:00Z",
        "customer": {"tenantId": tenant.tenant_id, "displayName": tenant.display_name},
        "accessDetails": {
            "unifiedRoles": [{"roleDefinitionId": DIRECTORY_READERS}, {"roleDefinitionId": USER_ADMINISTRATOR}]
        },
    }


# --- routing ---------------------------------------------------------------------------------------

_ROUTES: list[tuple[str, tuple[str, ...], Handler]] = [
    ("GET", ("tenantrelationships", "delegatedadminrelationships"), GraphApi.relationships),
    ("GET", ("tenantrelationships", "delegatedadmincustomers"), GraphApi.customers),
    ("GET", ("organization",), GraphApi.organization),
    ("GET", ("users",), GraphApi.users),
    ("GET", ("users", "delta"), GraphApi.users_delta),
    ("GET", ("users", "{id}"), GraphApi.user),
    ("GET", ("groups",), GraphApi.groups),
    ("GET", ("groups", "{id}"), GraphApi.group),
    ("GET", ("groups", "{id}", "transitivemembers"), GraphApi.transitive_members),
    ("GET", ("groups", "{id}", "transitivemembers", "graph.user"), GraphApi.transitive_users),
    ("GET", ("subscribedskus",), GraphApi.subscribed_skus),
    ("GET", ("reports", "authenticationmethods", "userregistrationdetails"), GraphApi.registration_details),
    ("GET", ("security", "securescores"), GraphApi.secure_scores),
    ("POST", ("$batch",), GraphApi.batch),
    ("GET", ("subscriptions",), GraphApi.subscription_call),
    ("POST", ("subscriptions",), GraphApi.subscription_call),
    ("GET", ("subscriptions", "{id}"), GraphApi.subscription_call),
    ("PATCH", ("subscriptions", "{id}"), GraphApi.subscription_call),
    ("DELETE", ("subscriptions", "{id}"), GraphApi.subscription_call),
]


def _match(pattern: tuple[str, ...], segments: list[str]) -> dict[str, str] | None:
    if len(pattern) != len(segments):
        return None
    params: dict[str, str] = {}
    for expected, segment in zip(pattern, segments, strict=True):
        if expected == "{id}":
            if segment.lower() == "delta":
                return None
            params["id"] = segment
        elif expected != segment.lower():
            return None
    return params


def _route(method: str, path: str) -> tuple[Handler | None, dict[str, str], str | None]:
    """The handler and path parameters; else None and the first unknown segment (None when the
    path exists but not for this method)."""
    segments = [segment for segment in path.split("/") if segment]
    for route_method, pattern, handler in _ROUTES:
        params = _match(pattern, segments)
        if params is not None and route_method == method:
            return handler, params, None
    if any(_match(pattern, segments) is not None for _, pattern, _ in _ROUTES):
        return None, {}, None
    for depth in range(len(segments)):
        prefix = segments[: depth + 1]
        if not any(
            _match(pattern[: depth + 1], prefix) is not None for _, pattern, _ in _ROUTES if len(pattern) > depth
        ):
            return None, {}, segments[depth]
    return None, {}, segments[-1] if segments else ""
