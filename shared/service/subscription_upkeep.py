"""The subscriptions timer (issue 15): every confirmed tenant subscribed to its user changes, every
subscription renewed a day before it expires, and none left for tenants no longer confirmed."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from typing import Any

from shared.models import MappingStatus
from shared.models.base import WireModel
from shared.models.subscriptions import SubscriptionStatus, TenantSubscription
from shared.service.app import App
from shared.service.subscriptions import RENEW_WITHIN, USERS_PATH, renew, subscribe, unsubscribe

__all__ = ["MaintenanceReport", "maintain_subscriptions"]

log = logging.getLogger(__name__)

_CONCURRENCY = 8  # tenants worked on at once (each a Graph call or two)


class MaintenanceReport(WireModel):
    created: int = 0
    renewed: int = 0
    deleted: int = 0
    refused: int = 0  # tenants left on the hourly delta (Graph refused, or NOTIFICATION_URL unset)


async def maintain_subscriptions(app: App) -> MaintenanceReport:
    """Make a subscription for each confirmed tenant that has none, was refused, points at an old URL
    or expired; renew those within `RENEW_WITHIN` of expiry; delete the rest. With
    NOTIFICATIONS_ENABLED off, delete every one (the feature off leaves nothing at Graph)."""
    report = MaintenanceReport()
    if app.subscriptions is None:
        return report
    stored = {s.tenant_id: s for s in await app.subscriptions.list()}
    confirmed: set[str] = set()
    if app.settings.notifications_enabled:
        confirmed = {m.tenant_id for m in await app.mappings.list() if m.status is MappingStatus.CONFIRMED}
    now = app.clock()
    users_url = app.settings.notification_url + USERS_PATH if app.settings.notification_url else None

    async def remove(tenant_id: str) -> None:
        await unsubscribe(app, tenant_id)
        report.deleted += 1

    async def make(tenant_id: str) -> None:
        made = await subscribe(app, tenant_id)
        report.created += made.status is SubscriptionStatus.ACTIVE
        report.refused += made.status is SubscriptionStatus.REFUSED

    async def extend(current: TenantSubscription) -> None:
        renewed = await renew(app, current)
        report.renewed += renewed.status is SubscriptionStatus.ACTIVE
        report.refused += renewed.status is SubscriptionStatus.REFUSED

    jobs: list[Coroutine[Any, Any, None]] = [remove(t) for t in sorted(set(stored) - confirmed)]
    for tenant_id in sorted(confirmed):
        current = stored.get(tenant_id)
        if (
            current is None
            or current.status is not SubscriptionStatus.ACTIVE
            or not current.subscription_id
            or current.notification_url != users_url
            or current.expires_at is None
            or current.expires_at <= now
        ):
            jobs.append(make(tenant_id))
        elif current.expires_at - now < RENEW_WITHIN:
            jobs.append(extend(current))
    gate = asyncio.Semaphore(_CONCURRENCY)

    async def gated(job: Coroutine[Any, Any, None]) -> None:
        async with gate:
            await job

    await asyncio.gather(*(gated(job) for job in jobs))
    if jobs:
        log.info("subscriptions timer: %s", report.model_dump())
    return report
