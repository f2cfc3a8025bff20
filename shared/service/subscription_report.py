"""Change notifications as an operator sees them (`GET /api/subscriptions`): per confirmed tenant,
its subscription or why Graph refused one (never the clientState), and what the endpoint counted."""

from __future__ import annotations

from datetime import datetime

from shared.errors import Conflict, NotFound
from shared.models import MappingStatus
from shared.models.base import WireModel
from shared.models.subscriptions import NotificationCounts, SubscriptionStatus, TenantSubscription
from shared.service.app import App
from shared.service.subscriptions import confirmed, notifications_on, subscribe

__all__ = ["SubscriptionView", "SubscriptionsReport", "refused_subscriptions", "subscribe_now", "subscriptions_report"]


class SubscriptionView(WireModel):
    """A confirmed tenant's change notifications as an operator sees them (never the clientState)."""

    tenant_id: str
    status: str  # active | refused | none (not made yet: the timer makes it)
    subscription_id: str | None = None
    expires_at: datetime | None = None
    error: str | None = None
    attempted_at: datetime | None = None


class SubscriptionsReport(WireModel):
    enabled: bool
    window_seconds: int
    counts: NotificationCounts  # this instance's endpoint since it started
    tenants: list[SubscriptionView]


async def subscriptions_report(app: App) -> SubscriptionsReport:
    stored = {s.tenant_id: s for s in await app.subscriptions.list()} if app.subscriptions else {}
    confirmed = sorted(m.tenant_id for m in await app.mappings.list() if m.status is MappingStatus.CONFIRMED)
    return SubscriptionsReport(
        enabled=notifications_on(app),
        window_seconds=app.settings.notification_window_seconds,
        counts=app.notification_counts,
        tenants=[_view(tenant_id, stored.get(tenant_id)) for tenant_id in confirmed],
    )


async def refused_subscriptions(app: App) -> list[SubscriptionView]:
    """Confirmed tenants Graph refused a subscription for (the needs-attention list shows them)."""
    if not notifications_on(app):
        return []
    report = await subscriptions_report(app)
    return [view for view in report.tenants if view.status == SubscriptionStatus.REFUSED]


async def subscribe_now(app: App, tenant_id: str) -> SubscriptionView:
    """An operator's "try again" for a confirmed tenant Graph refused."""
    if not notifications_on(app):
        raise Conflict("change notifications are off: set NOTIFICATIONS_ENABLED=true and NOTIFICATION_URL")
    if not await confirmed(app, tenant_id):
        raise NotFound(f"tenant {tenant_id} is not mapped to a client")
    return _view(tenant_id, await subscribe(app, tenant_id))


def _view(tenant_id: str, sub: TenantSubscription | None) -> SubscriptionView:
    if sub is None:
        return SubscriptionView(tenant_id=tenant_id, status="none")
    return SubscriptionView(
        tenant_id=tenant_id,
        status=sub.status.value,
        subscription_id=sub.subscription_id,
        expires_at=sub.expires_at,
        error=sub.error,
        attempted_at=sub.attempted_at,
    )
