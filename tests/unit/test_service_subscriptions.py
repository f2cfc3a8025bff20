"""Graph change-notification subscriptions on fakes (issue 15): made when a tenant is confirmed, deleted
when it is unmapped or skipped, renewed before expiry by the timer, made again when Graph removes one,
reauthorized when Graph asks, recorded (and shown) when Graph refuses one, all gone with the feature off."""

from __future__ import annotations

from datetime import timedelta

from shared.errors import GraphForbidden
from shared.models import MappingStatus, PsaClient, Tenant
from shared.models.queue import NotifyKind, NotifyMessage
from shared.models.subscriptions import SubscriptionStatus
from shared.service.app import App
from shared.service.attention import AttentionKind, needs_attention
from shared.service.mappings import Decision, decide, unmap
from shared.service.notify_work import handle_notify_message
from shared.service.subscription_report import subscribe_now, subscriptions_report
from shared.service.subscription_upkeep import maintain_subscriptions
from shared.service.subscriptions import LIFETIME, RENEW_WITHIN
from tests.unit.fakes import FakeClock, MemoryPsa, unit_settings
from tests.unit.fakes.subscriptions import FakeSubscriptionStore, made, notifying_app

TENANT = "5b1d1a7e-0c4b-4a43-9d55-3a0f6c1e2b11"
OTHER = "0e4f9a57-8b9e-4f6e-a2d6-7c3b9b4c5d22"


async def mapped_app(*tenants: str, **overrides: object) -> App:
    clients = [PsaClient(id=f"c-{i}", name=f"Client {i}") for i, _ in enumerate(tenants)]
    app = notifying_app(psa=MemoryPsa(clients=clients), clock=FakeClock(), **overrides)
    await app.tenants.save_many(Tenant(tenant_id=t, display_name=f"Tenant {t[:4]}") for t in tenants)
    for i, tenant_id in enumerate(tenants):
        await decide(app, tenant_id, Decision.MAP, client_id=f"c-{i}")
    return app


def stored(app: App) -> FakeSubscriptionStore:
    assert isinstance(app.subscriptions, FakeSubscriptionStore)
    return app.subscriptions


async def test_confirming_a_tenant_subscribes_it_to_user_changes_with_a_secret_of_its_own() -> None:
    app = await mapped_app(TENANT, OTHER)

    (first,) = made(app, TENANT).created
    (second,) = made(app, OTHER).created
    assert first.request.notification_url == "https://sync.example.net/api/notifications/users"
    assert first.request.lifecycle_url == "https://sync.example.net/api/notifications/lifecycle"
    assert first.expires_at - app.clock() == LIFETIME < timedelta(minutes=41_760)
    assert len(first.request.client_state) >= 32 and first.request.client_state != second.request.client_state
    row = stored(app).rows[TENANT]
    assert (row.status, row.subscription_id) == (SubscriptionStatus.ACTIVE, first.id)
    assert row.client_state is not None and row.client_state.get_secret_value() == first.request.client_state
    assert first.request.client_state not in row.model_dump_json()  # never in the JSON form (API, logs)
    assert first.request.client_state not in (await subscriptions_report(app)).model_dump_json()


async def test_unmapping_a_tenant_deletes_its_subscription() -> None:
    app = await mapped_app(TENANT)
    (sub,) = made(app, TENANT).created

    await unmap(app, TENANT)

    assert made(app, TENANT).deleted == [sub.id]
    assert TENANT not in stored(app).rows


async def test_skipping_a_tenant_deletes_its_subscription() -> None:
    app = await mapped_app(TENANT)
    (sub,) = made(app, TENANT).created

    await decide(app, TENANT, Decision.SKIP)

    assert made(app, TENANT).deleted == [sub.id]
    assert TENANT not in stored(app).rows


async def test_with_notifications_off_a_decision_makes_no_subscription() -> None:
    app = await mapped_app(TENANT, settings=unit_settings())

    assert made(app, TENANT).created == [] and stored(app).rows == {}


async def test_a_tenant_graph_refuses_keeps_the_decision_records_why_and_needs_attention() -> None:
    app = notifying_app(psa=MemoryPsa(clients=[PsaClient(id="c-0", name="Client 0")]), clock=FakeClock())
    await app.tenants.save_many([Tenant(tenant_id=TENANT, display_name="Refusing Ltd")])
    made(app, TENANT).refuse = GraphForbidden("Insufficient privileges to complete the operation.", status=403)

    mapping = await decide(app, TENANT, Decision.MAP, client_id="c-0")

    assert mapping.client_id == "c-0"  # the decision stands: the tenant keeps the hourly delta
    row = stored(app).rows[TENANT]
    assert row.status is SubscriptionStatus.REFUSED and "Insufficient privileges" in (row.error or "")
    (view,) = (await subscriptions_report(app)).tenants
    assert (view.status, view.error) == ("refused", row.error)
    (item,) = [i for i in await needs_attention(app) if i.kind is AttentionKind.LIVE_UPDATES]
    assert "Refusing Ltd" in item.title and "hourly" in item.title and "Insufficient privileges" in item.detail
    assert item.action.kind.value == "retry-subscription" and item.action.tenant_id == TENANT

    made(app, TENANT).refuse = None  # fixed: the operator tries again (or the timer does)
    assert (await subscribe_now(app, TENANT)).status == "active"
    assert [i for i in await needs_attention(app) if i.kind is AttentionKind.LIVE_UPDATES] == []


async def test_the_timer_renews_a_subscription_within_a_day_of_expiry_and_not_before() -> None:
    app = await mapped_app(TENANT)
    clock = app.clock
    assert isinstance(clock, FakeClock)
    (sub,) = made(app, TENANT).created

    clock.advance(LIFETIME - RENEW_WITHIN - timedelta(hours=1))  # 25 h left
    assert (await maintain_subscriptions(app)).renewed == 0
    assert made(app, TENANT).renewed == []

    clock.advance(timedelta(hours=2))  # 23 h left
    report = await maintain_subscriptions(app)

    assert (report.renewed, report.created) == (1, 0)
    ((renewed_id, until),) = made(app, TENANT).renewed
    assert renewed_id == sub.id and until == clock.now + LIFETIME
    assert stored(app).rows[TENANT].expires_at == until


async def test_the_timer_subscribes_tenants_mapped_before_and_deletes_those_no_longer_mapped() -> None:
    app = await mapped_app(TENANT, OTHER, settings=unit_settings())  # mapped with notifications off
    app.settings = notifying_app().settings

    first = await maintain_subscriptions(app)
    assert (first.created, len(made(app, TENANT).created), len(made(app, OTHER).created)) == (2, 1, 1)

    other = await app.mappings.get(OTHER)
    assert other is not None
    await app.mappings.save(other.model_copy(update={"status": MappingStatus.UNMATCHED}))
    second = await maintain_subscriptions(app)

    assert (second.created, second.deleted) == (0, 1)
    assert made(app, OTHER).deleted == [made(app, OTHER).created[0].id] and OTHER not in stored(app).rows


async def test_with_the_feature_turned_off_the_timer_deletes_every_subscription() -> None:
    app = await mapped_app(TENANT, OTHER)
    app.settings = unit_settings()

    report = await maintain_subscriptions(app)

    assert report.deleted == 2 and stored(app).rows == {}
    assert len(made(app, TENANT).deleted) == len(made(app, OTHER).deleted) == 1


async def test_subscription_removed_makes_a_new_subscription() -> None:
    app = await mapped_app(TENANT)
    (old,) = made(app, TENANT).created
    del made(app, TENANT).live[old.id]  # Graph removed it

    message = NotifyMessage(notify=NotifyKind.RECREATE, tenant_id=TENANT, subscription_id=old.id)
    await handle_notify_message(app, message.to_json().encode())

    (_, new) = made(app, TENANT).created
    row = stored(app).rows[TENANT]
    assert row.subscription_id == new.id != old.id and row.status is SubscriptionStatus.ACTIVE
    assert new.request.client_state != old.request.client_state


async def test_a_lifecycle_message_for_a_subscription_already_replaced_changes_nothing() -> None:
    app = await mapped_app(TENANT)

    message = NotifyMessage(notify=NotifyKind.RECREATE, tenant_id=TENANT, subscription_id="an-old-one")
    await handle_notify_message(app, message.to_json().encode())

    assert len(made(app, TENANT).created) == 1


async def test_reauthorization_required_renews_the_subscription() -> None:
    app = await mapped_app(TENANT)
    (sub,) = made(app, TENANT).created

    message = NotifyMessage(notify=NotifyKind.REAUTHORIZE, tenant_id=TENANT, subscription_id=sub.id)
    await handle_notify_message(app, message.to_json().encode())

    assert [renewed for renewed, _ in made(app, TENANT).renewed] == [sub.id]


async def test_renewing_a_subscription_graph_no_longer_has_makes_a_new_one() -> None:
    app = await mapped_app(TENANT)
    clock = app.clock
    assert isinstance(clock, FakeClock)
    (old,) = made(app, TENANT).created
    del made(app, TENANT).live[old.id]

    clock.advance(LIFETIME - timedelta(hours=2))
    await maintain_subscriptions(app)

    assert len(made(app, TENANT).created) == 2
    assert stored(app).rows[TENANT].subscription_id == made(app, TENANT).created[1].id
