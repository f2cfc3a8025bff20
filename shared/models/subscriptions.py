"""Graph change notifications (issue 15): a tenant's subscription, what is asked of Graph for one and
what Graph answers, the mark that coalesces its notifications, and the notifications Graph posts to the
app, as they arrive."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import Field, SecretStr

from shared.models.base import WireModel

__all__ = [
    "ChangeMark",
    "GraphSubscription",
    "LifecycleEvent",
    "Notification",
    "NotificationBatch",
    "NotificationCounts",
    "SubscriptionRequest",
    "SubscriptionStatus",
    "TenantSubscription",
]


class SubscriptionStatus(StrEnum):
    ACTIVE = "active"  # Graph posts this tenant's user changes to the app
    REFUSED = "refused"  # Graph refused one (`error` says why): the tenant keeps the hourly delta only


class TenantSubscription(WireModel):
    """A confirmed tenant's subscription on `users`, or why it has none. `client_state` is the secret
    Graph echoes in every notification: never in the JSON form (API answers, logs); the table adapter
    keeps it in a column of its own."""

    tenant_id: str
    status: SubscriptionStatus
    subscription_id: str | None = None
    client_state: SecretStr | None = Field(default=None, exclude=True)
    expires_at: datetime | None = None
    notification_url: str | None = None  # where Graph posts; a new NOTIFICATION_URL means a new subscription
    error: str | None = None  # why Graph refused the last attempt
    attempted_at: datetime  # the last create, renewal or reauthorization asked of Graph
    created_at: datetime | None = None
    renewed_at: datetime | None = None


@dataclass(frozen=True)
class SubscriptionRequest:
    """A subscription to create (`TenantSubscriptions.create`)."""

    notification_url: str
    lifecycle_url: str
    client_state: str  # never logged: Graph echoes it in every notification
    expires_at: datetime


class GraphSubscription(WireModel):
    """A subscription as Graph answers a create or a renewal."""

    id: str = Field(min_length=1)
    expiration_date_time: datetime
    resource: str | None = None
    change_type: str | None = None


class ChangeMark(WireModel):
    """A tenant has changes not yet in a pass: one mark per tenant while a coalesced pass is due.
    `armed_at`: when the delayed message that will start the pass was sent; `etag` guards changes."""

    tenant_id: str
    first_at: datetime
    armed_at: datetime
    etag: str | None = Field(default=None, exclude=True)


class LifecycleEvent(StrEnum):
    REAUTHORIZATION_REQUIRED = "reauthorizationRequired"
    SUBSCRIPTION_REMOVED = "subscriptionRemoved"
    MISSED = "missed"


class ResourceData(WireModel):
    id: str | None = None


class Notification(WireModel):
    """One item of Graph's `value` array (a change or a lifecycle event). Read leniently: anything
    missing or odd makes it unverifiable, so it is dropped, never a 400 that tells the sender why."""

    subscription_id: str = Field(default="", max_length=200)
    client_state: str | None = Field(default=None, max_length=500)
    tenant_id: str | None = Field(default=None, max_length=200)
    change_type: str | None = Field(default=None, max_length=100)
    resource: str | None = Field(default=None, max_length=2000)
    resource_data: ResourceData | None = None
    lifecycle_event: str | None = Field(default=None, max_length=100)


class NotificationBatch(WireModel):
    """Graph's body: `{"value": [...]}`. Items are checked one by one (`Notification`), so one odd
    item drops itself, not the batch."""

    value: list[Any] = Field(default_factory=list, max_length=5000)


class NotificationCounts(WireModel):
    """What this instance's notification endpoint did since it started (each instance counts its own;
    the log has every dropped batch too): `dropped` is what was never acted on, forged included."""

    accepted: int = 0  # checked: subscription and clientState matched
    dropped: int = 0  # unknown subscription, wrong clientState, wrong tenant, or unreadable
    lifecycle: int = 0  # checked lifecycle events
    passes_requested: int = 0  # windows opened (one coalesced pass each)
