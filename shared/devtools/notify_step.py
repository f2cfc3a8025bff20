"""A scenario's `"notify": true` step (SCENARIOS.md): Graph tells the app about the step's changes and
the app does what it does on its own; the step reports the runs that started and how long each
changed user took to reach the PSA.

`notification_endpoint` serves the HTTP app on loopback for the whole scenario when any step
notifies, and turns the app's notifications on with that address, so the subscriptions are made when
the decisions confirm tenants (Graph's validation request reaches the app over HTTP). `notify_step`
has the simulator post the notifications, drains the queue with the host's handlers until no tenant
is marked for a pass and every notification run started since is finished, and measures, per changed
user, delivery to the PSA write on the contact linked to the user (None when no write carried it).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from shared.devtools.driver import QueueDriver
from shared.devtools.environment import SimulatedEnvironment
from shared.devtools.loopback import serving
from shared.devtools.simulator import Scenario
from shared.devtools.simulator.notifier import Delivery, Notifier, UserChange
from shared.devtools.simulator.scenario import GraphOp
from shared.models import RunRecord, RunStatus, Trigger
from shared.service.app import App
from shared.service.runs import run_details

__all__ = ["Notified", "delivered_at", "latencies", "notification_endpoint", "notification_runs", "notify_step"]

_RUNS_LOOKED_AT = 50
_FINISHED = (RunStatus.COMPLETED, RunStatus.PARTIAL, RunStatus.FAILED)


@dataclass(frozen=True)
class Notified:
    run: dict[str, Any] | None  # the first run the notifications started (the step's `run`)
    runs: list[dict[str, Any]]  # every run they started, oldest first
    latency_ms: dict[str, int | None]  # per changed user: delivery -> the PSA write that carried it


@contextlib.asynccontextmanager
async def notification_endpoint(env: SimulatedEnvironment, scenario: Scenario) -> AsyncIterator[str | None]:
    """The app's notification endpoint on loopback while the scenario runs, if a step notifies."""
    if not any(step.notify for step in scenario.steps):
        yield None
        return
    from functions.api import create_api  # the HTTP app Graph posts to, as the host serves it

    async with serving(create_api(loopback=True)) as base_url:
        settings = env.app.settings
        env.app.settings = settings.model_copy(update={"notifications_enabled": True, "notification_url": base_url})
        try:
            yield base_url
        finally:
            env.app.settings = settings


async def notify_step(
    env: SimulatedEnvironment,
    driver: QueueDriver,
    ops: list[GraphOp],
    *,
    report: Callable[[RunRecord], dict[str, Any]],
) -> Notified:
    """Notify the (already applied) `ops`, wait for what the app does, and report it."""
    app = env.app
    since = app.clock()
    changes = Notifier.changes_of(ops)
    deliveries = await asyncio.to_thread(env.simulator.notifier.notify, changes)
    tenants = {change.tenant_id for change in changes}
    await settle(app, driver, tenants, since)
    runs = [report(await run_details(app, run.run_id)) for run in await notification_runs(app, since)]
    latency = await latencies(env, changes, delivered_at(deliveries))
    return Notified(run=runs[0] if runs else None, runs=runs, latency_ms=latency)


async def settle(app: App, driver: QueueDriver, tenants: set[str], since: datetime, *, limit: float = 600) -> None:
    """Drain the queue until no tenant of `tenants` waits for a pass and every notification run
    started since `since` is over."""

    async def settled() -> bool:
        marks = app.change_marks
        if marks is not None:
            for tenant_id in tenants:
                if await marks.get(tenant_id) is not None:
                    return False
        return all(run.status in _FINISHED for run in await notification_runs(app, since))

    await driver.drain(settled, limit_seconds=limit)


async def notification_runs(app: App, since: datetime) -> list[RunRecord]:
    """Runs with trigger `notification` started at `since` or later, oldest first."""
    recent = await app.runs.page(_RUNS_LOOKED_AT)
    found = [r for r in recent if r.trigger is Trigger.NOTIFICATION and r.started_at >= since]
    return sorted(found, key=lambda r: r.started_at)


def delivered_at(deliveries: list[Delivery]) -> dict[str, float]:
    """Per user, when its first acknowledged notification was sent (time.time())."""
    first: dict[str, float] = {}
    for delivery in deliveries:
        if delivery.status is None or not 200 <= delivery.status < 300 or delivery.forged:
            continue
        for user_id in delivery.user_ids:
            first[user_id] = min(first.get(user_id, delivery.sent_at), delivery.sent_at)
    return first


async def latencies(
    env: SimulatedEnvironment, changes: list[UserChange], delivered: dict[str, float]
) -> dict[str, int | None]:
    """Per changed user, milliseconds from the notification's delivery to the PSA write on its contact
    after it; None when no write carried the change (an ignored user, or nothing to write)."""
    out: dict[str, int | None] = {}
    for change in sorted(changes, key=lambda c: c.user_id):
        sent = delivered.get(change.user_id)
        link = await env.app.links.get(change.tenant_id, change.user_id)
        written = env.psa.written_at.get(link.contact_id) if link is not None else None
        if sent is None or written is None or written < sent:
            out[change.user_id] = None
        else:
            out[change.user_id] = round((written - sent) * 1000)
    return out
