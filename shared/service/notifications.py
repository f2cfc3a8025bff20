"""What the notification endpoint does with a POST from Graph (issue 15): check every item, act on
none it cannot check, and never sync here.

An item counts only when its tenant has an active subscription with that id and its `clientState`
equals the subscription's, compared in constant time (`hmac.compare_digest`). Anything else (an
unknown subscription or tenant, a wrong clientState, an item that does not parse) is dropped and
counted (`NotificationCounts.dropped`), and the sender learns nothing: the answer is the same 202.
The log says how many were dropped, never what they carried.

A checked change marks its tenant for a coalesced delta pass (`shared.service.coalesce`): a few
storage calls per tenant per POST, well inside Graph's 3 seconds. A checked lifecycle event:
`missed` marks the tenant the same way; `subscriptionRemoved` queues a new subscription (and marks the
tenant: changes may have gone unsent); `reauthorizationRequired` queues a renewal.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import re
from dataclasses import dataclass

from pydantic import ValidationError

from shared.models.queue import NotifyKind, NotifyMessage
from shared.models.subscriptions import (
    LifecycleEvent,
    Notification,
    NotificationBatch,
    SubscriptionStatus,
    TenantSubscription,
)
from shared.service.app import App
from shared.service.coalesce import note_changes
from shared.service.subscriptions import notifications_on, subscription_store

__all__ = ["MAX_BODY", "Intake", "receive_changes", "receive_lifecycle"]

log = logging.getLogger(__name__)

MAX_BODY = 4 * 1024 * 1024  # Graph batches notifications; a thousand basic ones are well under 1 MiB
_TENANT_ID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")


@dataclass(frozen=True)
class Intake:
    accepted: int
    dropped: int
    tenants: tuple[str, ...]  # tenants with checked items


async def receive_changes(app: App, body: bytes) -> Intake:
    """Graph's change notifications: each checked tenant gets a coalesced pass."""
    checked, dropped = await _checked(app, body, lifecycle=False)
    tenants = tuple(sorted({sub.tenant_id for _, sub in checked}))
    await asyncio.gather(*(note_changes(app, tenant_id) for tenant_id in tenants))  # within Graph's 3 s
    return _counted(app, len(checked), dropped, tenants, "change")


async def receive_lifecycle(app: App, body: bytes) -> Intake:
    """Graph's lifecycle notifications: a delta pass on `missed`, a new subscription on
    `subscriptionRemoved`, a renewal on `reauthorizationRequired` (the last two queued)."""
    checked, dropped = await _checked(app, body, lifecycle=True)
    queue = app.notify_queue
    for item, sub in checked:
        event = item.lifecycle_event
        if event == LifecycleEvent.MISSED:
            await note_changes(app, sub.tenant_id)
        elif event in (LifecycleEvent.SUBSCRIPTION_REMOVED, LifecycleEvent.REAUTHORIZATION_REQUIRED) and queue:
            removed = event == LifecycleEvent.SUBSCRIPTION_REMOVED
            kind = NotifyKind.RECREATE if removed else NotifyKind.REAUTHORIZE
            await queue.send(NotifyMessage(notify=kind, tenant_id=sub.tenant_id, subscription_id=sub.subscription_id))
            if removed:
                await note_changes(app, sub.tenant_id)
        log.info("tenant %s: Graph lifecycle event %s", sub.tenant_id, event)
    app.notification_counts.lifecycle += len(checked)
    tenants = tuple(sorted({sub.tenant_id for _, sub in checked}))
    return _counted(app, len(checked), dropped, tenants, "lifecycle")


def _counted(app: App, accepted: int, dropped: int, tenants: tuple[str, ...], kind: str) -> Intake:
    app.notification_counts.accepted += accepted
    app.notification_counts.dropped += dropped
    if dropped:
        # Only how many: what a forged item carries (its clientState above all) is never written down.
        log.warning(
            "%d %s notification(s) dropped: unknown subscription, wrong clientState or unreadable", dropped, kind
        )
    return Intake(accepted=accepted, dropped=dropped, tenants=tenants)


Checked = list[tuple[Notification, TenantSubscription]]


async def _checked(app: App, body: bytes, *, lifecycle: bool) -> tuple[Checked, int]:
    """The items that pass every check, each with its tenant's subscription, and how many did not."""
    items = _items(body)
    if items is None:
        return [], 1  # not Graph's shape at all: one unreadable request
    if not notifications_on(app):
        return [], len(items)
    store = subscription_store(app)
    parsed = [item for item in map(_parse, items) if item is not None and _TENANT_ID.match(item.tenant_id or "")]
    tenant_ids = sorted({str(item.tenant_id) for item in parsed})
    found = await asyncio.gather(*(store.get(tenant_id) for tenant_id in tenant_ids))
    subscriptions = dict(zip(tenant_ids, found, strict=True))
    checked: Checked = []
    for item in parsed:
        sub = subscriptions[str(item.tenant_id)]
        if sub is not None and _genuine(item, sub) and (item.lifecycle_event is not None) == lifecycle:
            checked.append((item, sub))
    return checked, len(items) - len(checked)


def _items(body: bytes) -> list[object] | None:
    if len(body) > MAX_BODY:
        return None
    try:
        return NotificationBatch.model_validate_json(body).value
    except (ValidationError, json.JSONDecodeError):
        return None


def _parse(raw: object) -> Notification | None:
    try:
        return Notification.model_validate(raw)
    except ValidationError:
        return None


def _genuine(item: Notification, sub: TenantSubscription) -> bool:
    """The item is for the tenant's live subscription and carries its clientState (constant time)."""
    if sub.status is not SubscriptionStatus.ACTIVE or not sub.subscription_id or sub.client_state is None:
        return False
    expected = sub.client_state.get_secret_value().encode()
    given = (item.client_state or "").encode()
    same_state = hmac.compare_digest(expected, given)  # compared even when the id differs: no timing hint
    return same_state and item.subscription_id.lower() == sub.subscription_id.lower()
