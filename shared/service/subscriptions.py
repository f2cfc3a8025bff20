"""Graph change-notification subscriptions (issue 15): one per confirmed tenant, on `users`
(`updated,deleted`), with a random `clientState` of its own and a lifecycle URL.

Made when a tenant is confirmed (`follow_mapping`, from the mapping decision) or, for tenants mapped
before, by the timer (`shared.service.subscription_upkeep`), which also renews each a day before it
expires, makes again any Graph refused or removed, and deletes those of tenants no longer confirmed.
A tenant Graph refuses keeps the hourly delta pass; why is recorded (`TenantSubscription.error`) and
shown in the needs-attention list and `GET /api/subscriptions` (`shared.service.subscription_report`).
`NOTIFICATIONS_ENABLED=false` turns it all off: the timer then deletes what it made.

The clientState is generated here, stored by the `SubscriptionStore` (never in logs or queue
messages) and compared in constant time by `shared.service.notifications`.
"""

from __future__ import annotations

import logging
import secrets
from datetime import datetime, timedelta

from pydantic import SecretStr

from shared.errors import ConfigError, GraphError, GraphRequestRefused, SyncError
from shared.models import Mapping, MappingStatus
from shared.models.subscriptions import SubscriptionRequest, SubscriptionStatus, TenantSubscription
from shared.service.app import App
from shared.service.ports import SubscriptionStore

__all__ = [
    "LIFECYCLE_PATH",
    "LIFETIME",
    "RENEW_WITHIN",
    "USERS_PATH",
    "confirmed",
    "follow_mapping",
    "notifications_on",
    "reauthorize",
    "recreate",
    "renew",
    "subscribe",
    "subscription_store",
    "unsubscribe",
]

log = logging.getLogger(__name__)

USERS_PATH = "/api/notifications/users"
LIFECYCLE_PATH = "/api/notifications/lifecycle"
LIFETIME = timedelta(minutes=41_760 - 60)  # Graph allows users subscriptions under 41,760 minutes
RENEW_WITHIN = timedelta(hours=24)  # the timer runs every few hours: a day leaves several tries


def notifications_on(app: App) -> bool:
    return app.settings.notifications_enabled and app.subscriptions is not None


def subscription_store(app: App) -> SubscriptionStore:
    if app.subscriptions is None:
        raise ConfigError("change notifications are not wired (no subscription store)")
    return app.subscriptions


def _urls(app: App) -> tuple[str, str]:
    base = app.settings.notification_url
    if not base:
        raise ConfigError("NOTIFICATION_URL is not set: Graph needs the app's public https address to notify it")
    return base + USERS_PATH, base + LIFECYCLE_PATH


async def subscribe(app: App, tenant_id: str) -> TenantSubscription:
    """Make the tenant's subscription (deleting the one it had). Graph refusing, or a missing
    NOTIFICATION_URL, is recorded on the tenant's row (status `refused`, `error`), not raised."""
    store = subscription_store(app)
    current = await store.get(tenant_id)
    if current is not None and current.subscription_id:
        await _delete_at_graph(app, tenant_id, current.subscription_id)
    now = app.clock()
    state = secrets.token_urlsafe(48)  # 64 characters; Graph allows 128
    try:
        users_url, lifecycle_url = _urls(app)
        request = SubscriptionRequest(users_url, lifecycle_url, state, now + LIFETIME)
        created = await app.graph.subscriptions(tenant_id).create(request)
    except (GraphError, ConfigError) as exc:
        log.warning("tenant %s: no change notifications (hourly delta only): %s", tenant_id, exc)
        refused = TenantSubscription(
            tenant_id=tenant_id, status=SubscriptionStatus.REFUSED, error=str(exc)[:1000], attempted_at=now
        )
        await store.save(refused)
        return refused
    made = TenantSubscription(
        tenant_id=tenant_id,
        status=SubscriptionStatus.ACTIVE,
        subscription_id=created.id,
        client_state=SecretStr(state),
        expires_at=created.expiration_date_time,
        notification_url=users_url,
        attempted_at=now,
        created_at=now,
    )
    await store.save(made)
    log.info("tenant %s: subscribed to user changes until %s", tenant_id, made.expires_at)
    return made


async def unsubscribe(app: App, tenant_id: str) -> None:
    """Delete the tenant's subscription at Graph and forget it. When Graph cannot be reached the row
    stays, so the timer deletes it later (its notifications are dropped meanwhile: no pass for a
    tenant that is not confirmed)."""
    store = subscription_store(app)
    current = await store.get(tenant_id)
    if current is None:
        return
    if current.subscription_id and not await _delete_at_graph(app, tenant_id, current.subscription_id):
        return
    await store.delete(tenant_id)
    log.info("tenant %s: change notifications stopped", tenant_id)


async def _delete_at_graph(app: App, tenant_id: str, subscription_id: str) -> bool:
    try:
        await app.graph.subscriptions(tenant_id).delete(subscription_id)
    except GraphRequestRefused as exc:
        if exc.status != 404:
            log.warning("tenant %s: Graph refused deleting subscription %s: %s", tenant_id, subscription_id, exc)
        return True  # gone already (404), or never to be deleted by asking again: expiry ends it
    except GraphError as exc:
        log.warning(
            "tenant %s: subscription %s not deleted yet (%s); the timer tries again", tenant_id, subscription_id, exc
        )
        return False
    return True


async def renew(app: App, current: TenantSubscription) -> TenantSubscription:
    """A later expiry for the tenant's subscription (PATCH); one Graph no longer has is made again."""
    assert current.subscription_id
    now = app.clock()
    try:
        renewed = await app.graph.subscriptions(current.tenant_id).renew(current.subscription_id, now + LIFETIME)
    except GraphRequestRefused as exc:
        if exc.status == 404:
            log.info("tenant %s: subscription %s is gone; making a new one", current.tenant_id, current.subscription_id)
            return await subscribe(app, current.tenant_id)
        return await _renewal_failed(app, current, exc, now)
    except GraphError as exc:
        return await _renewal_failed(app, current, exc, now)
    updated = current.model_copy(
        update={"expires_at": renewed.expiration_date_time, "attempted_at": now, "renewed_at": now, "error": None}
    )
    await subscription_store(app).save(updated)
    return updated


async def _renewal_failed(app: App, current: TenantSubscription, exc: GraphError, now: datetime) -> TenantSubscription:
    # Still active until it expires; the next timer tries again, and makes a new one once it has expired.
    log.warning("tenant %s: subscription not renewed yet: %s", current.tenant_id, exc)
    noted = current.model_copy(update={"attempted_at": now, "error": f"renewal failed: {exc}"[:1000]})
    await subscription_store(app).save(noted)
    return noted


async def reauthorize(app: App, tenant_id: str, subscription_id: str | None) -> TenantSubscription | None:
    """Graph's `reauthorizationRequired`: renew the subscription it names, if it is still the tenant's."""
    current = await _current(app, tenant_id, subscription_id)
    return await renew(app, current) if current is not None else None


async def recreate(app: App, tenant_id: str, subscription_id: str | None) -> TenantSubscription | None:
    """Graph's `subscriptionRemoved`: a new subscription, if the removed one was still the tenant's."""
    current = await _current(app, tenant_id, subscription_id)
    return await subscribe(app, tenant_id) if current is not None else None


async def _current(app: App, tenant_id: str, subscription_id: str | None) -> TenantSubscription | None:
    """The tenant's active subscription if it is `subscription_id` and the tenant is still confirmed."""
    if not notifications_on(app) or not await confirmed(app, tenant_id):
        return None
    current = await subscription_store(app).get(tenant_id)
    if current is None or current.status is not SubscriptionStatus.ACTIVE or current.subscription_id != subscription_id:
        return None  # handled already (a newer subscription), or not ours any more
    return current


async def confirmed(app: App, tenant_id: str) -> bool:
    mapping = await app.mappings.get(tenant_id)
    return mapping is not None and mapping.status is MappingStatus.CONFIRMED


async def follow_mapping(app: App, mapping: Mapping) -> None:
    """Keep the tenant's subscription in step with an operator's decision: subscribe when confirmed,
    stop when unmapped or skipped. The decision stands whatever Graph or storage answer here: a failure
    is logged and the timer catches up."""
    if not notifications_on(app):
        return
    try:
        if mapping.status is MappingStatus.CONFIRMED:
            current = await subscription_store(app).get(mapping.tenant_id)
            if current is None or current.status is not SubscriptionStatus.ACTIVE:
                await subscribe(app, mapping.tenant_id)
        else:
            await unsubscribe(app, mapping.tenant_id)
    except SyncError as exc:
        log.warning(
            "tenant %s: subscription not brought in step with the mapping (%s); the timer will", mapping.tenant_id, exc
        )
