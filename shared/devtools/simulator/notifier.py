"""Graph's change notifications, delivered as Graph does: a real HTTP POST of `{"value": [...]}` to each
subscription's notification URL, each item with the subscription's id, its `clientState`, the tenant
and the changed user (`resource` `Users/{id}`, `resourceData`), a new user as `updated` (Graph does
not say `created` for users), a deleted one as `deleted`. Lifecycle events go to the lifecycle URL.

Nothing is sent on its own: the caller says which changes to notify (`notify`, e.g. a scenario
step's Graph changes, `changes_of`) and how: in batches, with duplicates, out of order, held back and
sent late (`send_late`), or forged (a wrong clientState, or a subscription id Graph never made). A
delivery Graph's endpoint does not acknowledge with a 2xx is tried again, as Graph retries, a few
times. `deliveries` records every POST: when, where, what it carried, the answer and how long it took.
"""

from __future__ import annotations

import random
import secrets
import threading
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import httpx

from shared.devtools.simulator.scenario import AddOp, GraphOp
from shared.devtools.simulator.subscriptions_api import SimSubscription, SubscriptionsApi

__all__ = ["Delivery", "Notifier", "UserChange"]

ACK_WITHIN = 3.0  # Graph expects a 2xx within 3 seconds
LIFECYCLE_EVENTS = ("reauthorizationRequired", "subscriptionRemoved", "missed")


@dataclass(frozen=True)
class UserChange:
    tenant_id: str
    user_id: str
    change_type: str  # "updated" or "deleted"


@dataclass(frozen=True)
class Delivery:
    url: str
    sent_at: float  # time.time() when the POST left
    status: int | None  # None: no answer (refused, reset, timed out)
    seconds: float  # until the answer
    items: int
    user_ids: tuple[str, ...]
    tries: int
    forged: bool = False
    lifecycle: str | None = None

    @property
    def acknowledged(self) -> bool:
        return self.status is not None and 200 <= self.status < 300 and self.seconds <= ACK_WITHIN


@dataclass
class _Batch:
    url: str
    items: list[dict[str, Any]]
    forged: bool = False
    lifecycle: str | None = None
    user_ids: tuple[str, ...] = field(default=())


class Notifier:
    def __init__(self, subscriptions: SubscriptionsApi, *, retries: int = 2, retry_wait: float = 0.5) -> None:
        self.subscriptions = subscriptions
        self.retries, self.retry_wait = retries, retry_wait
        self.deliveries: list[Delivery] = []
        self._late: list[_Batch] = []
        self._lock = threading.Lock()
        self._client: httpx.Client | None = None

    @staticmethod
    def changes_of(ops: Iterable[GraphOp]) -> list[UserChange]:
        """The user changes a scenario step's Graph operations make, one per operation."""
        changes = []
        for op in ops:
            if isinstance(op, AddOp):
                changes.append(UserChange(op.tenant_id, str(op.user["id"]), "updated"))
            else:
                kind = "deleted" if op.op == "delete" else "updated"
                changes.append(UserChange(op.tenant_id, op.user_id, kind))
        return changes

    def notify(
        self,
        changes: Iterable[UserChange],
        *,
        batch_size: int = 100,
        duplicates: int = 0,
        shuffle: random.Random | None = None,
        late: bool = False,
        forged: bool = False,
        unknown_subscription: bool = False,
    ) -> list[Delivery]:
        """Notify each change to every live subscription of its tenant that asked for its change type.
        `duplicates`: each item sent that many more times; `shuffle`: items out of order; `late`: held
        back until `send_late`; `forged`: a wrong clientState; `unknown_subscription`: an id Graph
        never made. Returns the deliveries made now."""
        by_url: dict[str, list[dict[str, Any]]] = {}
        for change in changes:
            for sub in self.subscriptions.active(change.tenant_id):
                if change.change_type in {t.strip() for t in sub.change_type.split(",")}:
                    item = _change_item(sub, change, forged=forged, unknown=unknown_subscription)
                    by_url.setdefault(sub.notification_url, []).extend([item] * (1 + duplicates))
        batches = []
        for url, items in by_url.items():
            if shuffle is not None:
                shuffle.shuffle(items)
            for start in range(0, len(items), max(1, batch_size)):
                chunk = items[start : start + batch_size]
                ids = tuple(dict.fromkeys(str(i["resourceData"]["id"]) for i in chunk))
                batches.append(_Batch(url, chunk, forged or unknown_subscription, user_ids=ids))
        if late:
            with self._lock:
                self._late.extend(batches)
            return []
        return [self._send(batch) for batch in batches]

    def send_late(self) -> list[Delivery]:
        """Deliver what `notify(..., late=True)` held back."""
        with self._lock:
            held, self._late = self._late, []
        return [self._send(batch) for batch in held]

    def lifecycle(self, tenant_id: str, event: str, *, forged: bool = False) -> list[Delivery]:
        """A lifecycle event for each of the tenant's subscriptions with a lifecycle URL.
        `subscriptionRemoved` removes the subscription first, as Graph has by then."""
        if event not in LIFECYCLE_EVENTS:
            raise ValueError(f"unknown lifecycle event {event!r}")
        deliveries = []
        for sub in self.subscriptions.active(tenant_id):
            if not sub.lifecycle_url:
                continue
            if event == "subscriptionRemoved" and not forged:
                self.subscriptions.remove(sub.id)
            item = {
                "lifecycleEvent": event,
                "subscriptionId": sub.id,
                "subscriptionExpirationDateTime": sub.wire()["expirationDateTime"],
                "clientState": _forged_state() if forged else sub.client_state,
                "tenantId": sub.tenant_id,
                "organizationId": sub.tenant_id,
                "resource": sub.resource,
            }
            deliveries.append(self._send(_Batch(sub.lifecycle_url, [item], forged, lifecycle=event)))
        return deliveries

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    def _send(self, batch: _Batch) -> Delivery:
        client = self._http()
        body = {"value": batch.items}
        sent_at = time.time()
        status: int | None = None
        tries = 0
        started = time.perf_counter()
        while tries <= self.retries:
            tries += 1
            started = time.perf_counter()
            try:
                status = client.post(batch.url, json=body, timeout=10.0).status_code
            except httpx.HTTPError:
                status = None
            if status is not None and 200 <= status < 300:
                break
            if tries <= self.retries:
                time.sleep(self.retry_wait)
        delivery = Delivery(
            url=batch.url,
            sent_at=sent_at,
            status=status,
            seconds=time.perf_counter() - started,
            items=len(batch.items),
            user_ids=batch.user_ids,
            tries=tries,
            forged=batch.forged,
            lifecycle=batch.lifecycle,
        )
        with self._lock:
            self.deliveries.append(delivery)
        return delivery

    def _http(self) -> httpx.Client:
        with self._lock:
            if self._client is None:
                self._client = httpx.Client(headers={"Content-Type": "application/json"})
            return self._client


def _change_item(sub: SimSubscription, change: UserChange, *, forged: bool, unknown: bool) -> dict[str, Any]:
    resource = f"Users/{change.user_id}"
    return {
        "id": str(uuid.uuid4()),
        "subscriptionId": str(uuid.uuid4()) if unknown else sub.id,
        "subscriptionExpirationDateTime": sub.wire()["expirationDateTime"],
        "changeType": change.change_type,
        "resource": resource,
        "resourceData": {
            "@odata.type": "#Microsoft.Graph.User",
            "@odata.id": resource,
            "id": change.user_id,
            "organizationId": sub.tenant_id,
        },
        "clientState": _forged_state() if forged else sub.client_state,
        "tenantId": sub.tenant_id,
    }


def _forged_state() -> str:
    return secrets.token_urlsafe(48)
