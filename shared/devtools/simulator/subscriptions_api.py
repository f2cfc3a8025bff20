"""The simulated `/subscriptions` of Microsoft Graph: change-notification subscriptions on `users`,
made, listed, renewed and deleted per tenant (the tenant of the bearer token), as Graph does.

* `POST /subscriptions`: `changeType` (of created/updated/deleted), `notificationUrl`, `resource`
  (`users`), `expirationDateTime` (in the future, at most 41,760 minutes ahead for users),
  `clientState` (at most 128 characters), `lifecycleNotificationUrl` (optional). URLs must be https,
  except on loopback (the app under test). Before answering 201, the simulator does what Graph does:
  a real HTTP POST of `?validationToken=<token>` (text/plain) to the notification URL, and to the
  lifecycle URL, each of which must answer 200 with the token as its body within 10 seconds; if not,
  400 `ValidationError` "Subscription validation request failed...".
* `GET /subscriptions`, `GET|PATCH|DELETE /subscriptions/{id}`: a subscription of another tenant is
  404 `ResourceNotFound`; PATCH takes a new `expirationDateTime` (the same limits).

The subscriptions made are `SubscriptionsApi.active(tenant)`; `notifier.Notifier` posts to them.
"""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import httpx

from shared.devtools.simulator.graph_api import Call
from shared.devtools.simulator.wire import Response, graph_error, json_response

__all__ = ["MAX_USERS_MINUTES", "SimSubscription", "SubscriptionsApi", "Validator", "http_validator"]

MAX_USERS_MINUTES = 41_760
VALIDATION_TIMEOUT = 10.0  # seconds Graph gives an endpoint to echo the token
_CHANGE_TYPES = {"created", "updated", "deleted"}
_LOOPBACK = {"127.0.0.1", "localhost", "::1"}
_VALIDATION_FAILED = (
    "Subscription validation request failed. Notification endpoint must respond with 200 OK to validation request."
)

Validator = Callable[[str], bool]  # URL -> did it echo a fresh validation token


@dataclass(frozen=True)
class SimSubscription:
    id: str
    tenant_id: str
    resource: str
    change_type: str
    notification_url: str
    lifecycle_url: str | None
    client_state: str | None
    expires_at: datetime
    created_at: datetime

    def wire(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "resource": self.resource,
            "applicationId": "sim-client-id",
            "changeType": self.change_type,
            "clientState": self.client_state,
            "notificationUrl": self.notification_url,
            "lifecycleNotificationUrl": self.lifecycle_url,
            "expirationDateTime": _iso(self.expires_at),
            "creatorId": str(uuid.uuid5(uuid.NAMESPACE_URL, self.tenant_id)),
            "latestSupportedTlsVersion": "v1_2",
            "includeResourceData": False,
        }


def http_validator(url: str) -> bool:
    """Graph's validation request: POST `url?validationToken=...`, the token back as the 200's body."""
    token = f"Validation: Testing client application reachability for subscription Request-Id: {uuid.uuid4()}"
    try:
        answer = httpx.post(
            url,
            params={"validationToken": token},
            headers={"Content-Type": "text/plain; charset=utf-8"},
            timeout=VALIDATION_TIMEOUT,
        )
    except httpx.HTTPError:
        return False
    return answer.status_code == 200 and answer.text == token


class SubscriptionsApi:
    def __init__(self, *, validate: Validator = http_validator, clock: Callable[[], datetime] | None = None) -> None:
        self.validate = validate
        self.clock = clock or (lambda: datetime.now(UTC))
        self._subscriptions: dict[str, SimSubscription] = {}
        self._lock = threading.Lock()
        self.validations: list[tuple[str, bool]] = []  # (url, answered) for every validation request sent

    # --- what the notifier and the tests use ------------------------------------------------------

    def active(self, tenant_id: str | None = None) -> list[SimSubscription]:
        now = self.clock()
        with self._lock:
            subscriptions = list(self._subscriptions.values())
        return [
            s
            for s in subscriptions
            if s.expires_at > now and (tenant_id is None or s.tenant_id.lower() == tenant_id.lower())
        ]

    def get(self, subscription_id: str) -> SimSubscription | None:
        with self._lock:
            return self._subscriptions.get(subscription_id)

    def remove(self, subscription_id: str) -> SimSubscription | None:
        """Graph dropping a subscription on its own (then it says `subscriptionRemoved`)."""
        with self._lock:
            return self._subscriptions.pop(subscription_id, None)

    def expire_soon(self, subscription_id: str, within: timedelta) -> None:
        """Bring a subscription's expiry nearer (a test of renewal)."""
        with self._lock:
            current = self._subscriptions[subscription_id]
            self._subscriptions[subscription_id] = replace(current, expires_at=self.clock() + within)

    # --- HTTP ------------------------------------------------------------------------------------

    def handle(self, call: Call) -> Response:
        segments = [s for s in call.path.split("/") if s]
        method = call.request.method
        if len(segments) == 1:
            return self._create(call) if method == "POST" else self._list(call)
        found = self.get(segments[1])
        if found is None or found.tenant_id != call.directory.tenant_id:
            return graph_error(call.request, 404, "ResourceNotFound", "The object was not found.")
        if method == "DELETE":
            self.remove(found.id)
            return Response(204)
        if method == "PATCH":
            return self._renew(call, found)
        return json_response(200, {"@odata.context": self._context(call, "subscriptions/$entity"), **found.wire()})

    def _list(self, call: Call) -> Response:
        value = [s.wire() for s in self.active(call.directory.tenant_id)]
        return json_response(200, {"@odata.context": self._context(call, "subscriptions"), "value": value})

    def _create(self, call: Call) -> Response:
        body = _json(call)
        if body is None:
            return graph_error(call.request, 400, "BadRequest", "Invalid request body.")
        problem = self._invalid(body)
        if problem is not None:
            return graph_error(call.request, 400, "ExtensionError", problem)
        expires = _parse_time(body.get("expirationDateTime"))
        if isinstance(expires, str):
            return graph_error(call.request, 400, "ExtensionError", expires)
        urls = [body["notificationUrl"], body.get("lifecycleNotificationUrl")]
        for url in (str(u) for u in urls if u):
            answered = self.validate(url)
            self.validations.append((url, answered))
            if not answered:
                return graph_error(call.request, 400, "ValidationError", _VALIDATION_FAILED)
        made = SimSubscription(
            id=str(uuid.uuid4()),
            tenant_id=call.directory.tenant_id,
            resource=str(body["resource"]),
            change_type=str(body["changeType"]),
            notification_url=str(body["notificationUrl"]),
            lifecycle_url=str(body["lifecycleNotificationUrl"]) if body.get("lifecycleNotificationUrl") else None,
            client_state=str(body["clientState"]) if body.get("clientState") is not None else None,
            expires_at=expires,
            created_at=self.clock(),
        )
        with self._lock:
            self._subscriptions[made.id] = made
        return json_response(201, {"@odata.context": self._context(call, "subscriptions/$entity"), **made.wire()})

    def _renew(self, call: Call, current: SimSubscription) -> Response:
        body = _json(call)
        if body is None or "expirationDateTime" not in body:
            return graph_error(call.request, 400, "BadRequest", "Invalid request body.")
        expires = _parse_time(body.get("expirationDateTime"))
        if isinstance(expires, str):
            return graph_error(call.request, 400, "ExtensionError", expires)
        renewed = replace(current, expires_at=expires)
        with self._lock:
            self._subscriptions[current.id] = renewed
        return json_response(200, {"@odata.context": self._context(call, "subscriptions/$entity"), **renewed.wire()})

    def _invalid(self, body: dict[str, Any]) -> str | None:
        for name in ("changeType", "notificationUrl", "resource", "expirationDateTime"):
            if not isinstance(body.get(name), str) or not body[name]:
                return f"The '{name}' property is required."
        kinds = {kind.strip() for kind in str(body["changeType"]).split(",")}
        if not kinds <= _CHANGE_TYPES:
            return f"Invalid 'changeType' attribute: '{body['changeType']}'."
        if str(body["resource"]).strip("/").lower() != "users":
            return f"Unsupported resource '{body['resource']}': this simulator serves subscriptions on 'users'."
        for name in ("notificationUrl", "lifecycleNotificationUrl"):
            url = body.get(name)
            if url is not None and not _https_or_loopback(str(url)):
                return f"The '{name}' must be an https URL."
        state = body.get("clientState")
        if state is not None and (not isinstance(state, str) or len(state) > 128):
            return "clientState must be a string of at most 128 characters."
        return None

    def _context(self, call: Call, fragment: str) -> str:
        base = call.request.headers.get("host", "graph.microsoft.com")
        return f"http://{base}/v1.0/$metadata#{fragment}"


def _json(call: Call) -> dict[str, Any] | None:
    try:
        body = json.loads(call.request.body or b"null")
    except ValueError:
        return None
    return body if isinstance(body, dict) else None


def _parse_time(value: Any) -> datetime | str:
    """The expiry, or what Graph says is wrong with it."""
    try:
        expires = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return f"Invalid expirationDateTime '{value}'."
    if expires.tzinfo is None:
        expires = expires.replace(tzinfo=UTC)
    now = datetime.now(UTC)
    if expires <= now:
        return "Subscription expiration must be in the future."
    if expires - now > timedelta(minutes=MAX_USERS_MINUTES):
        return f"Subscription expiration can only be {MAX_USERS_MINUTES} minutes in the future."
    return expires


def _https_or_loopback(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme == "https" or (parts.scheme == "http" and (parts.hostname or "") in _LOOPBACK)


def _iso(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
