"""In-memory fakes of the change-notification ports (issue 15): Graph's subscriptions of one tenant
(`FakeSubscriptions`, with a switch to refuse them), the subscription store, the change marks and the
notification queue, and `notifying_app`: a `fake_app` with notifications on and these wired."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from shared.errors import GraphError, GraphRequestRefused
from shared.models.queue import NotifyMessage
from shared.models.subscriptions import ChangeMark, GraphSubscription, SubscriptionRequest, TenantSubscription
from shared.service.app import App
from shared.service.ports import ChangeMarks, NotifyQueue, SubscriptionStore, TenantSubscriptions

__all__ = [
    "FakeChangeMarks",
    "FakeNotifyQueue",
    "FakeSubscriptionStore",
    "FakeSubscriptions",
    "made",
    "notifying_app",
]


@dataclass
class Made:
    tenant_id: str
    id: str
    request: SubscriptionRequest
    expires_at: datetime


class FakeSubscriptions:
    """Graph's subscriptions of one tenant: what was made, renewed and deleted. `refuse` makes the
    next creates fail with that error (Graph refusing, e.g. its validation request got no answer)."""

    def __init__(self, tenant_id: str) -> None:
        self.tenant_id = tenant_id
        self.live: dict[str, Made] = {}
        self.created: list[Made] = []
        self.renewed: list[tuple[str, datetime]] = []
        self.deleted: list[str] = []
        self.refuse: GraphError | None = None

    async def create(self, request: SubscriptionRequest) -> GraphSubscription:
        if self.refuse is not None:
            raise self.refuse
        item = Made(self.tenant_id, str(uuid.uuid4()), request, request.expires_at)
        self.live[item.id] = item
        self.created.append(item)
        return GraphSubscription(id=item.id, expiration_date_time=request.expires_at, resource="users")

    async def renew(self, subscription_id: str, expires_at: datetime) -> GraphSubscription:
        if subscription_id not in self.live:
            raise GraphRequestRefused("subscription not found", status=404, code="ResourceNotFound")
        self.live[subscription_id].expires_at = expires_at
        self.renewed.append((subscription_id, expires_at))
        return GraphSubscription(id=subscription_id, expiration_date_time=expires_at)

    async def delete(self, subscription_id: str) -> None:
        if self.live.pop(subscription_id, None) is None:
            raise GraphRequestRefused("subscription not found", status=404, code="ResourceNotFound")
        self.deleted.append(subscription_id)


class FakeSubscriptionStore:
    def __init__(self) -> None:
        self.rows: dict[str, TenantSubscription] = {}

    async def get(self, tenant_id: str) -> TenantSubscription | None:
        return self.rows.get(tenant_id)

    async def list(self) -> list[TenantSubscription]:
        return [self.rows[k] for k in sorted(self.rows)]

    async def save(self, subscription: TenantSubscription) -> None:
        self.rows[subscription.tenant_id] = subscription.model_copy()

    async def delete(self, tenant_id: str) -> None:
        self.rows.pop(tenant_id, None)


class FakeChangeMarks:
    """Marks with an ETag that changes on every write, as Table Storage's does."""

    def __init__(self) -> None:
        self.rows: dict[str, ChangeMark] = {}
        self.writes = 0

    async def get(self, tenant_id: str) -> ChangeMark | None:
        mark = self.rows.get(tenant_id)
        return mark.model_copy() if mark is not None else None

    async def create(self, tenant_id: str, at: datetime) -> bool:
        if tenant_id in self.rows:
            return False
        self._put(ChangeMark(tenant_id=tenant_id, first_at=at, armed_at=at))
        return True

    async def rearm(self, mark: ChangeMark, at: datetime) -> bool:
        if not self._same(mark):
            return False
        self._put(mark.model_copy(update={"armed_at": at}))
        return True

    async def clear(self, mark: ChangeMark) -> bool:
        if not self._same(mark):
            return False
        del self.rows[mark.tenant_id]
        self.writes += 1
        return True

    def _same(self, mark: ChangeMark) -> bool:
        current = self.rows.get(mark.tenant_id)
        return current is not None and current.etag == mark.etag

    def _put(self, mark: ChangeMark) -> None:
        self.writes += 1
        self.rows[mark.tenant_id] = mark.model_copy(update={"etag": uuid.uuid4().hex})


class FakeNotifyQueue:
    def __init__(self) -> None:
        self.sent: list[tuple[NotifyMessage, int]] = []

    async def send(self, message: NotifyMessage, *, delay_seconds: int = 0) -> None:
        self.sent.append((message.model_copy(), delay_seconds))

    def take(self) -> list[tuple[NotifyMessage, int]]:
        """What was sent since the last take (as the queue hands messages out)."""
        taken, self.sent = self.sent, []
        return taken


def made(app: App, tenant_id: str) -> FakeSubscriptions:
    """Graph's subscriptions of a tenant in a `notifying_app`."""
    subscriptions = app.graph.subscriptions(tenant_id)
    assert isinstance(subscriptions, FakeSubscriptions)
    return subscriptions


def notifying_app(**overrides: Any) -> App:
    """A fake App with change notifications on (window 5 s) and their fakes wired."""
    from tests.unit.fakes.app import fake_app, unit_settings

    settings = unit_settings(NOTIFICATIONS_ENABLED="true", NOTIFICATION_URL="https://sync.example.net")
    fields: dict[str, Any] = {
        "settings": settings,
        "subscriptions": FakeSubscriptionStore(),
        "change_marks": FakeChangeMarks(),
        "notify_queue": FakeNotifyQueue(),
    }
    return fake_app(**(fields | overrides))


# A port change breaks these at type-check time (`mypy tests/unit/fakes`).
_subscriptions: TenantSubscriptions = FakeSubscriptions("t")
_store: SubscriptionStore = FakeSubscriptionStore()
_marks: ChangeMarks = FakeChangeMarks()
_queue: NotifyQueue = FakeNotifyQueue()
