"""Change notifications end to end (issue 15): the app served by uvicorn on loopback, the Graph simulator
making subscriptions (its validation request reaches the app over HTTP) and posting notifications, Azurite
tables and queue, the host's handlers draining the queue. A change reaches the PSA through one coalesced
delta pass with trigger `notification`; forged notifications change nothing; lifecycle events are handled."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

from functions.api import create_api
from shared.devtools.driver import QueueDriver
from shared.devtools.environment import SimulatedEnvironment
from shared.devtools.loopback import serving
from shared.devtools.notify_step import delivered_at, latencies, notification_runs, settle
from shared.devtools.simulator.notifier import UserChange
from shared.models import RunType, Trigger
from shared.models.subscriptions import SubscriptionStatus
from shared.service.runs import run_details, start_run
from shared.service.subscription_upkeep import maintain_subscriptions
from tests.integration.helpers import GREENLEAF, NORTHSTAR, PRIYA, drain, driver, map_northwind, run_sync

pytestmark = pytest.mark.integration

ALEX = "6a7cf852-b3d2-55ac-88f9-184576369a02"


@pytest.fixture
async def live(env: SimulatedEnvironment) -> AsyncIterator[SimulatedEnvironment]:
    """Northwind mapped with notifications on (its endpoint on loopback), after the initial sync."""
    async with serving(create_api(loopback=True)) as base_url:
        env.app.settings = env.app.settings.model_copy(
            update={"notifications_enabled": True, "notification_url": base_url, "notification_window_seconds": 2}
        )
        await map_northwind(env)
        await run_sync(env, RunType.INITIAL)
        yield env


async def notify(env: SimulatedEnvironment, queue: QueueDriver, *changes: UserChange, **how: object) -> None:
    since = env.app.clock()
    await asyncio.to_thread(env.simulator.notifier.notify, list(changes), **how)  # type: ignore[arg-type]
    await settle(env.app, queue, {c.tenant_id for c in changes}, since, limit=120)


async def test_confirming_makes_a_subscription_after_graphs_validation_request_reached_the_app(
    live: SimulatedEnvironment,
) -> None:
    subscriptions = live.simulator.subscriptions
    by_tenant = {s.tenant_id: s for s in subscriptions.active()}

    assert set(by_tenant) == {GREENLEAF, NORTHSTAR, "7893f28e-f7e8-508b-beeb-55b763029caf"}  # not the skipped one
    assert subscriptions.validations and all(answered for _, answered in subscriptions.validations)
    assert {url.rsplit("/", 1)[-1] for url, _ in subscriptions.validations} == {"users", "lifecycle"}
    assert live.app.subscriptions is not None
    row = await live.app.subscriptions.get(GREENLEAF)
    sub = by_tenant[GREENLEAF]
    assert row is not None and (row.status, row.subscription_id) == (SubscriptionStatus.ACTIVE, sub.id)
    assert row.client_state is not None and row.client_state.get_secret_value() == sub.client_state
    assert (sub.change_type, sub.resource) == ("updated,deleted", "users")


async def test_a_changed_user_reaches_the_psa_through_one_notification_pass(live: SimulatedEnvironment) -> None:
    queue = driver(live)
    live.simulator.apply(
        {"op": "update", "tenantId": GREENLEAF, "userId": PRIYA, "set": {"mobilePhone": "+1 555 0199"}}
    )
    since = live.app.clock()
    deliveries = await asyncio.to_thread(live.simulator.notifier.notify, [UserChange(GREENLEAF, PRIYA, "updated")])
    await settle(live.app, queue, {GREENLEAF}, since, limit=120)

    assert all(d.acknowledged for d in deliveries)
    (run,) = await notification_runs(live.app, since)
    details = await run_details(live.app, run.run_id)
    (tenant,) = details.tenants
    assert (details.type, details.trigger, tenant.tenant_id, tenant.pass_kind) == (
        RunType.TENANT,
        Trigger.NOTIFICATION,
        GREENLEAF,
        "delta",
    )
    assert {u.user_id: u.outcome.value for u in tenant.users}[PRIYA] == "updated"
    link = await live.app.links.get(GREENLEAF, PRIYA)
    assert link is not None
    contacts = {c.id: c for c in await live.directory.list_contacts(link.client_id)}
    assert contacts[link.contact_id].mobile == "+1 555 0199"
    (latency,) = (await latencies(live, [UserChange(GREENLEAF, PRIYA, "updated")], delivered_at(deliveries))).values()
    assert latency is not None and 0 < latency < 60_000


async def test_forged_notifications_over_http_are_acknowledged_counted_and_start_nothing(
    live: SimulatedEnvironment,
) -> None:
    since = live.app.clock()
    change = UserChange(GREENLEAF, PRIYA, "updated")

    forged = await asyncio.to_thread(live.simulator.notifier.notify, [change], forged=True)
    unknown = await asyncio.to_thread(live.simulator.notifier.notify, [change], unknown_subscription=True)
    await asyncio.sleep(3)  # past the window: nothing was queued

    assert [d.status for d in forged + unknown] == [202, 202]
    assert live.app.notification_counts.dropped == 2 and live.app.notification_counts.accepted == 0
    assert live.app.change_marks is not None and await live.app.change_marks.get(GREENLEAF) is None
    assert await notification_runs(live.app, since) == []


async def test_a_burst_of_changes_in_one_tenant_is_one_pass(live: SimulatedEnvironment) -> None:
    queue = driver(live)
    changes = [UserChange(GREENLEAF, PRIYA, "updated")] * 300  # Graph sends one per change
    since = live.app.clock()

    await notify(live, queue, *changes, batch_size=20)

    assert len(await notification_runs(live.app, since)) == 1


async def test_duplicate_out_of_order_and_late_notifications_need_no_more_passes_than_their_windows(
    live: SimulatedEnvironment,
) -> None:
    import random

    queue = driver(live)
    since = live.app.clock()
    changes = [UserChange(GREENLEAF, PRIYA, "updated"), UserChange(NORTHSTAR, ALEX, "updated")]

    await notify(live, queue, *changes, duplicates=2, shuffle=random.Random(3))
    assert sorted(r.tenant_id or "" for r in await notification_runs(live.app, since)) == sorted([GREENLEAF, NORTHSTAR])

    await asyncio.to_thread(live.simulator.notifier.notify, changes[:1], late=True)
    later = live.app.clock()
    await asyncio.to_thread(live.simulator.notifier.send_late)
    await settle(live.app, queue, {GREENLEAF}, later, limit=120)
    assert len(await notification_runs(live.app, later)) == 1  # a late one is one more pass, not lost


async def test_subscription_removed_is_recreated_and_followed_by_a_pass(live: SimulatedEnvironment) -> None:
    queue = driver(live)
    (old,) = live.simulator.subscriptions.active(GREENLEAF)
    since = live.app.clock()

    deliveries = await asyncio.to_thread(live.simulator.notifier.lifecycle, GREENLEAF, "subscriptionRemoved")
    await settle(live.app, queue, {GREENLEAF}, since, limit=120)

    assert [d.status for d in deliveries] == [202]
    (new,) = live.simulator.subscriptions.active(GREENLEAF)
    assert new.id != old.id and new.client_state != old.client_state
    assert live.app.subscriptions is not None
    row = await live.app.subscriptions.get(GREENLEAF)
    assert row is not None and row.subscription_id == new.id
    assert [r.tenant_id for r in await notification_runs(live.app, since)] == [GREENLEAF]


async def test_missed_starts_a_delta_pass(live: SimulatedEnvironment) -> None:
    queue = driver(live)
    live.simulator.apply({"op": "disable", "tenantId": NORTHSTAR, "userId": ALEX})  # a change Graph did not notify
    since = live.app.clock()

    await asyncio.to_thread(live.simulator.notifier.lifecycle, NORTHSTAR, "missed")
    await settle(live.app, queue, {NORTHSTAR}, since, limit=120)

    (run,) = await notification_runs(live.app, since)
    (tenant,) = (await run_details(live.app, run.run_id)).tenants
    assert tenant.pass_kind == "delta"
    assert {u.user_id: u.outcome.value for u in tenant.users}[ALEX] == "inactivated"


async def test_reauthorization_required_renews_the_subscription_at_graph(live: SimulatedEnvironment) -> None:
    queue = driver(live)
    (sub,) = live.simulator.subscriptions.active(GREENLEAF)
    live.simulator.subscriptions.expire_soon(sub.id, timedelta(minutes=30))
    since = live.app.clock()

    await asyncio.to_thread(live.simulator.notifier.lifecycle, GREENLEAF, "reauthorizationRequired")
    await settle(live.app, queue, {GREENLEAF}, since, limit=60)
    await queue.drain(lambda: _true(), limit_seconds=30)

    renewed = live.simulator.subscriptions.get(sub.id)
    assert renewed is not None and renewed.expires_at - since > timedelta(days=28)


async def test_the_timer_renews_a_subscription_near_expiry_at_graph(live: SimulatedEnvironment) -> None:
    store = live.app.subscriptions
    assert store is not None
    row = await store.get(NORTHSTAR)
    assert row is not None and row.subscription_id
    live.simulator.subscriptions.expire_soon(row.subscription_id, timedelta(hours=3))
    await store.save(row.model_copy(update={"expires_at": live.app.clock() + timedelta(hours=3)}))

    report = await maintain_subscriptions(live.app)

    assert (report.renewed, report.created, report.deleted) == (1, 0, 0)
    renewed = live.simulator.subscriptions.get(row.subscription_id)
    assert renewed is not None and renewed.expires_at - live.app.clock() > timedelta(days=28)


async def test_a_tenant_graph_refuses_is_recorded_and_still_synced_by_the_hourly_run(
    live: SimulatedEnvironment,
) -> None:
    fault = live.simulator.fail(403, tenant=GREENLEAF, path="/subscriptions", times=None)
    store = live.app.subscriptions
    assert store is not None
    await store.delete(GREENLEAF)  # as if it had never been made

    report = await maintain_subscriptions(live.app)
    live.simulator.remove_fault(fault)

    assert fault.hits >= 1 and report.refused == 1
    row = await store.get(GREENLEAF)
    assert row is not None and row.status is SubscriptionStatus.REFUSED and "forbidden" in (row.error or "")
    run, _ = await start_run(live.app, RunType.ALL_TENANTS, Trigger.TIMER)
    await drain(live, run.run_id)
    hourly = await run_details(live.app, run.run_id)
    assert GREENLEAF in {t.tenant_id for t in hourly.tenants if t.status.value == "succeeded"}


async def test_unmapping_deletes_the_subscription_at_graph(live: SimulatedEnvironment) -> None:
    from shared.service.mappings import unmap

    (sub,) = live.simulator.subscriptions.active(NORTHSTAR)

    await unmap(live.app, NORTHSTAR)

    assert live.simulator.subscriptions.get(sub.id) is None
    assert live.app.subscriptions is not None and await live.app.subscriptions.get(NORTHSTAR) is None


async def _true() -> bool:
    return True
