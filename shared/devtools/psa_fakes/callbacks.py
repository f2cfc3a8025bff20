"""Signed outbound callbacks as ConnectWise PSA and Autotask send them, to test the app's own endpoints
against the vendors' real signature schemes; and `HostMap`, which lets the app reach a fake under the
vendor's host name.

    cw = ConnectWiseCallbacks(cw_fake)
    callback = cw.contact(12)                                 # a SignedCallback: `body` bytes + `headers`
    callback.post(app_url)                                    # or hand body and headers to the trigger
    keys = httpx.AsyncClient(transport=HostMap({KEY_HOST: cw_fake.root_url}))   # the app's key fetcher

**ConnectWise** (`/system/callbacks`): a POST whose JSON body has `MessageId` (a fresh uuid),
`FromUrl`, `CompanyId`, `MemberId`, `Action` (`added`, `updated`, `deleted`), `Type` (`contact`,
`company`), `ID`, `ProductInstanceId`, `PartnerId`, `Entity` (the record as a JSON *string*, from the
fake; null when it has none), `Metadata: {"key_url"}` and `CallbackObjectRecId`, as public receivers
read them. `x-content-signature` is base64(HMAC-SHA256(key = SHA-256 digest of the signing key's UTF-8
bytes, message = the raw body)); the key is served by the fake at `Metadata.key_url`, a
`https://api-na.myconnectwise.net/...` URL, so the app must fetch it with an httpx client it is given
(a setting of its key fetcher): tests give it one whose transport is `HostMap({KEY_HOST:
fake.root_url})`, and the app's host check and fetch run unchanged. Variants:
`key_host=` a foreign host (correctly signed with the fake's key, so only the host check can refuse
it), `wrong_signature=True` (well formed, signed with another key), and a replay: post the same
`SignedCallback` twice (same bytes, `MessageId` and signature).

**Autotask** (`<Entity>Webhooks`): a POST whose JSON body has `Action` (`Create`, `Update`, `Delete`),
`Guid` (the webhook's), `EntityType` (`Contact`; `Account` for companies, the business-object name the
payloads use), `Id`, `Fields` (the record's camelCase fields, from the fake unless given; absent on
`Delete`), `EventTime`, `SequenceNumber` (rising per sender) and `PersonID` (the resource who made the
change), as Autotask's payload is documented by public integrations. `X-Hook-Signature` is
`sha1=` + base64(HMAC-SHA1(the webhook's secret key, the raw body)), from Autotask's docs. Variants:
`wrong_signature=True` and a replay, as above. Which fields ride along (`IsDisplayAlwaysField`) is the
webhook's configuration: here, all of them.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import itertools
import json
import threading
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx

from shared.devtools.psa_fakes.autotask import AutotaskFake
from shared.devtools.psa_fakes.connectwise import KEY_HOST, ConnectWiseFake
from shared.devtools.psa_fakes.values import utc_now_iso
from shared.devtools.psa_fakes.wire import Refusal

__all__ = [
    "KEY_HOST",
    "AutotaskWebhooks",
    "ConnectWiseCallbacks",
    "HostMap",
    "SignedCallback",
    "autotask_signature",
    "connectwise_signature",
]


@dataclass(frozen=True)
class SignedCallback:
    """One signed delivery: the exact bytes sent and the headers that go with them."""

    body: bytes
    headers: dict[str, str] = field(default_factory=dict)

    def json(self) -> Any:
        return json.loads(self.body)

    def post(self, url: str, client: httpx.Client | None = None) -> httpx.Response:
        """POST it to `url` (again, for a replay) with `client` or a fresh one."""
        if client is not None:
            return client.post(url, content=self.body, headers=self.headers)
        with httpx.Client(timeout=10) as fresh:
            return fresh.post(url, content=self.body, headers=self.headers)


def connectwise_signature(body: bytes, signing_key: str) -> str:
    """base64(HMAC-SHA256(SHA-256(signing key), body)): ConnectWise's `x-content-signature`."""
    key = hashlib.sha256(signing_key.encode("utf-8")).digest()
    return base64.b64encode(hmac.new(key, body, hashlib.sha256).digest()).decode("ascii")


def autotask_signature(body: bytes, secret: str) -> str:
    """`sha1=` + base64(HMAC-SHA1(secret, body)): Autotask's `X-Hook-Signature`."""
    return "sha1=" + base64.b64encode(hmac.new(secret.encode("utf-8"), body, hashlib.sha1).digest()).decode("ascii")


class ConnectWiseCallbacks:
    """Builds ConnectWise contact and company callbacks signed with `fake`'s key `key_id`."""

    def __init__(
        self, fake: ConnectWiseFake, *, key_id: str = "1", member_id: str = "api-member", key_host: str = KEY_HOST
    ) -> None:
        self.fake, self.key_id, self.member_id, self.key_host = fake, key_id, member_id, key_host

    def contact(self, record_id: int, **options: Any) -> SignedCallback:
        return self.callback("contact", record_id, **options)

    def company(self, record_id: int, **options: Any) -> SignedCallback:
        return self.callback("company", record_id, **options)

    def callback(
        self,
        kind: str,
        record_id: int,
        *,
        action: str = "updated",
        entity: Mapping[str, Any] | None = None,
        key_host: str | None = None,
        wrong_signature: bool = False,
    ) -> SignedCallback:
        """A callback for the record `record_id` (`kind` "contact" or "company"); see the module docstring."""
        if entity is None:
            try:
                entity = self.fake.entity(kind, record_id)
            except Refusal:  # no such record (a deleted one): no Entity
                entity = None
        host = key_host or self.key_host
        payload = {
            "MessageId": str(uuid.uuid4()),
            "FromUrl": host,
            "CompanyId": self.fake.company_id,
            "MemberId": self.member_id,
            "Action": action,
            "Type": kind,
            "ID": record_id,
            "ProductInstanceId": None,
            "PartnerId": None,
            "Entity": json.dumps(entity) if entity is not None else None,
            "Metadata": {"key_url": self.fake.key_url(self.key_id, host=host)},
            "CallbackObjectRecId": 1 if kind == "contact" else 2,
        }
        body = json.dumps(payload).encode("utf-8")
        key = "not-the-signing-key" if wrong_signature else self.fake.signing_key(self.key_id)
        return SignedCallback(
            body, {"Content-Type": "application/json", "x-content-signature": connectwise_signature(body, key)}
        )


class AutotaskWebhooks:
    """Builds Autotask contact and company webhook callouts signed with the webhook's `secret`."""

    def __init__(
        self, secret: str, *, fake: AutotaskFake | None = None, guid: str | None = None, person_id: int = 29682885
    ) -> None:
        self.secret, self.fake, self.person_id = secret, fake, person_id
        self.guid = guid or str(uuid.uuid4())
        self._sequence = itertools.count(1)
        self._lock = threading.Lock()

    def contact(self, record_id: int, **options: Any) -> SignedCallback:
        return self.webhook("Contact", record_id, **options)

    def company(self, record_id: int, **options: Any) -> SignedCallback:
        return self.webhook("Account", record_id, **options)

    def webhook(
        self,
        entity_type: str,
        record_id: int,
        *,
        action: str = "Update",
        fields: Mapping[str, Any] | None = None,
        wrong_signature: bool = False,
    ) -> SignedCallback:
        """A callout for the record `record_id` of `entity_type` ("Contact", "Account"); see the module docstring."""
        if fields is None and self.fake is not None:
            rows = self.fake.contacts() if entity_type == "Contact" else self.fake.clients()
            fields = next((r for r in rows if r["id"] == record_id), {})
        with self._lock:
            sequence = next(self._sequence)
        payload: dict[str, Any] = {
            "Action": action,
            "Guid": self.guid,
            "EntityType": entity_type,
            "Id": record_id,
            "EventTime": utc_now_iso(),
            "SequenceNumber": sequence,
            "PersonID": self.person_id,
        }
        if action != "Delete":
            payload["Fields"] = dict(fields or {})
        body = json.dumps(payload).encode("utf-8")
        secret = self.secret + "-wrong" if wrong_signature else self.secret
        return SignedCallback(
            body, {"Content-Type": "application/json", "X-Hook-Signature": autotask_signature(body, secret)}
        )


class HostMap(httpx.BaseTransport, httpx.AsyncBaseTransport):
    """An httpx transport (sync and async) sending requests for each mapped host name to a local server:
    `HostMap({"api-na.myconnectwise.net": fake.root_url})`. A host not mapped fails to connect (tests
    reach no network); `attempts` lists every URL asked for, as asked."""

    def __init__(self, hosts: Mapping[str, str]) -> None:
        self._hosts = {name.lower(): httpx.URL(target) for name, target in hosts.items()}
        self._sync: httpx.HTTPTransport | None = None  # made on first use: each builds an SSL context
        self._async: httpx.AsyncHTTPTransport | None = None
        self.attempts: list[str] = []

    def _rewrite(self, request: httpx.Request) -> httpx.Request:
        self.attempts.append(str(request.url))
        target = self._hosts.get(request.url.host.lower())
        if target is None:
            raise httpx.ConnectError(f"{request.url.host} is not mapped to a local server", request=request)
        request.url = request.url.copy_with(scheme=target.scheme, host=target.host, port=target.port)
        return request

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self._sync = self._sync or httpx.HTTPTransport()
        return self._sync.handle_request(self._rewrite(request))

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self._async = self._async or httpx.AsyncHTTPTransport()
        return await self._async.handle_async_request(self._rewrite(request))

    def close(self) -> None:
        if self._sync is not None:
            self._sync.close()
            self._sync = None

    async def aclose(self) -> None:
        if self._async is not None:
            await self._async.aclose()
            self._async = None
