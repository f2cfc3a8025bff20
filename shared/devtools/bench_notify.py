"""`python -m shared.cli bench --notifications`: how fast Graph's change notifications carry a change to
the PSA, measured end to end on this machine (issue 15).

The app is served by uvicorn on loopback (Graph's validation request and notifications reach it over
HTTP), the Graph simulator makes the subscriptions and posts the notifications, the queue is drained in
the background by the host's handlers, Azurite holds the state, the PSA is the built-in directory.

* `one_by_one`: N users changed one at a time across T tenants (each change in Graph, then its
  notification, `gap` seconds apart): latency from the change to the PSA write on the user's contact
  (p50, p95, max), Graph requests per change, passes per change.
* `burst`: B users changed at once in one tenant, notified in Graph's batches: passes, Graph
  requests, PSA writes, and changes missed (contacts never written).
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from shared.bootstrap import set_app
from shared.devtools.bench_data import BenchShape, bench_scenario
from shared.devtools.driver import QueueDriver
from shared.devtools.environment import SimulatedEnvironment, simulated_environment
from shared.devtools.loopback import serving
from shared.devtools.notify_step import notification_runs
from shared.devtools.simulator import Scenario
from shared.devtools.simulator.notifier import UserChange
from shared.models import RunStatus, RunType, Trigger
from shared.service.discovery import discover
from shared.service.mappings import Decision, decide, refresh_suggestions
from shared.service.runs import start_run

__all__ = ["NotifyBenchOptions", "bench_notifications", "render_notify_table"]

_FINISHED = (RunStatus.COMPLETED, RunStatus.PARTIAL, RunStatus.FAILED)
_BATCH = 50  # notifications per POST in a burst (Graph batches them)


@dataclass(frozen=True)
class NotifyBenchOptions:
    tenants: int = 5
    users: int = 40  # per tenant, one-by-one phase
    changes: int = 20  # users changed one by one
    gap: float = 1.0  # seconds between two changes
    burst: int = 1000  # users changed at once in one tenant
    window: int = 5  # NOTIFICATION_WINDOW_SECONDS (the default)
    workers: int = 8
    seed: int = 7
    storage: str | None = None
    timeout: float = 600.0


async def bench_notifications(options: NotifyBenchOptions) -> dict[str, Any]:
    started = time.perf_counter()
    one_by_one = await _one_by_one(options)
    burst = await _burst(options) if options.burst > 0 else None
    return {
        "options": {k: v for k, v in vars(options).items() if k != "storage"},
        "one_by_one": one_by_one,
        "burst": burst,
        "targets": _targets(one_by_one, burst, options),
        "total_seconds": round(time.perf_counter() - started, 1),
    }


async def _one_by_one(options: NotifyBenchOptions) -> dict[str, Any]:
    scenario = bench_scenario(BenchShape(tenants=options.tenants, users=options.users, seed=options.seed))
    async with _live(scenario, options) as env:
        picked = _changeable(scenario, options.changes)
        sim = env.simulator
        sim.clear_requests()
        since, writes = env.app.clock(), env.psa.writes
        changed_at: dict[str, float] = {}
        for number, (tenant_id, user_id) in enumerate(picked):
            sim.apply({"op": "update", "tenantId": tenant_id, "userId": user_id, "set": {"jobTitle": f"Role {number}"}})
            changed_at[user_id] = time.time()
            await asyncio.to_thread(sim.notifier.notify, [UserChange(tenant_id, user_id, "updated")])
            await asyncio.sleep(options.gap)
        missed = await _until_written(env, picked, changed_at, options.timeout)
        latencies = await _latencies(env, picked, changed_at)
        runs = await _settled_runs(env, since, options.timeout)
        graph = _graph_requests(env)
        n = max(1, len(picked))
        return {
            "changes": len(picked),
            "tenants": options.tenants,
            "latency_s": _percentiles(latencies),
            "graph_requests": graph,
            "graph_requests_per_change": round(graph / n, 2),
            "passes": len(runs),
            "passes_per_change": round(len(runs) / n, 2),
            "psa_writes": env.psa.writes - writes,
            "missed": missed,
        }


async def _burst(options: NotifyBenchOptions) -> dict[str, Any]:
    scenario = bench_scenario(BenchShape(tenants=1, users=options.burst + options.burst // 10 + 10, seed=options.seed))
    async with _live(scenario, options) as env:
        picked = _changeable(scenario, options.burst)
        sim = env.simulator
        sim.clear_requests()
        since, writes = env.app.clock(), env.psa.writes
        changed_at: dict[str, float] = {}
        for tenant_id, user_id in picked:
            sim.apply({"op": "update", "tenantId": tenant_id, "userId": user_id, "set": {"jobTitle": "Burst role"}})
            changed_at[user_id] = time.time()
        started = time.perf_counter()
        changes = [UserChange(t, u, "updated") for t, u in picked]
        deliveries = await asyncio.to_thread(sim.notifier.notify, changes, batch_size=_BATCH)
        delivered_in = time.perf_counter() - started
        missed = await _until_written(env, picked, changed_at, options.timeout)
        runs = await _settled_runs(env, since, options.timeout)
        return {
            "changes": len(picked),
            "notification_posts": len(deliveries),
            "delivered_in_s": round(delivered_in, 2),
            "acknowledged_within_3s": all(d.acknowledged for d in deliveries),
            "slowest_ack_s": round(max((d.seconds for d in deliveries), default=0.0), 3),
            "passes": len(runs),
            "windows_spanned": math.floor(delivered_in / max(1, options.window)) + 1,
            "graph_requests": _graph_requests(env),
            "psa_writes": env.psa.writes - writes,
            "settled_in_s": round(time.perf_counter() - started, 2),
            "missed": missed,
        }


@contextlib.asynccontextmanager
async def _live(scenario: Scenario, options: NotifyBenchOptions) -> AsyncIterator[SimulatedEnvironment]:
    """The environment with its notification endpoint served, tenants mapped (and so subscribed),
    the initial sync done, and the queue drained in the background until the block ends."""
    from functions.api import create_api
    from functions.sync_worker import tenant_poison, tenant_worker

    async with simulated_environment(scenario, storage=options.storage) as env:
        set_app(env.app)
        try:
            async with serving(create_api(loopback=True)) as base_url:
                env.app.settings = env.app.settings.model_copy(
                    update={
                        "notifications_enabled": True,
                        "notification_url": base_url,
                        "notification_window_seconds": options.window,
                    }
                )
                driver = QueueDriver(
                    env.account,
                    tenant_worker.build().get_user_function(),
                    tenant_poison.build().get_user_function(),
                    batch_size=options.workers,
                )
                await _map_and_sync(env, scenario, driver)
                stop = asyncio.Event()
                draining = asyncio.create_task(_drain_until(driver, stop))
                try:
                    yield env
                finally:
                    stop.set()
                    await draining
        finally:
            set_app(None)


async def _map_and_sync(env: SimulatedEnvironment, scenario: Scenario, driver: QueueDriver) -> None:
    await discover(env.app)
    await refresh_suggestions(env.app)
    for decision in scenario.decisions:
        await decide(env.app, decision.tenant_id, Decision(decision.action), client_id=decision.client_id)
    run, _ = await start_run(env.app, RunType.INITIAL, Trigger.MANUAL)

    async def finished() -> bool:
        current = await env.app.runs.get(run.run_id)
        return current is not None and current.status in _FINISHED

    await driver.drain(finished, limit_seconds=3600)


async def _drain_until(driver: QueueDriver, stop: asyncio.Event) -> None:
    async def idle() -> bool:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), 0.1)
        return stop.is_set()

    await driver.drain(idle, limit_seconds=math.inf)


def _changeable(scenario: Scenario, count: int) -> list[tuple[str, str]]:
    """`count` (tenant, user) pairs of members the sync keeps a contact for, round robin over tenants."""
    per_tenant = [
        [
            (tenant.tenant_id, str(user["id"]))
            for user in tenant.users
            if user.get("accountEnabled") and user.get("userType") == "Member" and user.get("givenName")
        ]
        for tenant in scenario.tenants
    ]
    picked: list[tuple[str, str]] = []
    for position in range(max((len(users) for users in per_tenant), default=0)):
        for users in per_tenant:
            if position < len(users) and len(picked) < count:
                picked.append(users[position])
    return picked


async def _until_written(
    env: SimulatedEnvironment, picked: list[tuple[str, str]], changed_at: dict[str, float], limit: float
) -> int:
    """Wait until every changed user's contact was written after its change; how many never were."""
    deadline = time.monotonic() + limit
    while True:
        waiting = [(t, u) for t, u in picked if (await _written(env, t, u) or 0.0) < changed_at[u]]
        if not waiting or time.monotonic() > deadline:
            return len(waiting)
        await asyncio.sleep(0.25)


async def _written(env: SimulatedEnvironment, tenant_id: str, user_id: str) -> float | None:
    link = await env.app.links.get(tenant_id, user_id)
    return env.psa.written_at.get(link.contact_id) if link is not None else None


async def _latencies(
    env: SimulatedEnvironment, picked: list[tuple[str, str]], changed_at: dict[str, float]
) -> list[float]:
    found = []
    for tenant_id, user_id in picked:
        written = await _written(env, tenant_id, user_id)
        if written is not None and written >= changed_at[user_id]:
            found.append(written - changed_at[user_id])
    return found


async def _settled_runs(env: SimulatedEnvironment, since: datetime, limit: float) -> list[Any]:
    """The notification runs started since `since`, once none is running any more."""
    deadline = time.monotonic() + limit
    while True:
        runs = await notification_runs(env.app, since)
        pending = False
        if env.app.change_marks is not None:
            for tenant in env.simulator.scenario.tenants:
                pending = pending or await env.app.change_marks.get(tenant.tenant_id) is not None
        if (not pending and all(r.status in _FINISHED for r in runs)) or time.monotonic() > deadline:
            return runs
        await asyncio.sleep(0.25)


def _graph_requests(env: SimulatedEnvironment) -> int:
    return sum(1 for r in env.simulator.requests if r.service == "graph" and not r.in_batch)


def _percentiles(values: list[float]) -> dict[str, float | None]:
    if not values:
        return {"p50": None, "p95": None, "max": None}
    ordered = sorted(values)

    def at(share: float) -> float:
        return round(ordered[min(len(ordered) - 1, math.ceil(share * len(ordered)) - 1)], 2)

    return {"p50": at(0.5), "p95": at(0.95), "max": round(ordered[-1], 2)}


def _targets(one: dict[str, Any], burst: dict[str, Any] | None, options: NotifyBenchOptions) -> dict[str, Any]:
    p95 = one["latency_s"]["p95"]
    targets: dict[str, Any] = {
        f"p95<60s (window {options.window} s)": p95 is not None and p95 < 60,
        "one_by_one_missed==0": one["missed"] == 0,
    }
    if burst is not None:
        targets["burst_passes<=windows_spanned+1"] = burst["passes"] <= burst["windows_spanned"] + 1
        targets["burst_missed==0"] = burst["missed"] == 0
        targets["burst_acknowledged_within_3s"] = burst["acknowledged_within_3s"]
    return targets


def render_notify_table(result: dict[str, Any]) -> str:
    one, burst = result["one_by_one"], result["burst"]
    latency = one["latency_s"]
    lines = [
        f"one by one: {one['changes']} changes across {one['tenants']} tenants, "
        f"window {result['options']['window']} s, {result['options']['gap']} s apart",
        f"  latency change -> PSA write: p50 {latency['p50']} s, p95 {latency['p95']} s, max {latency['max']} s",
        f"  graph requests per change {one['graph_requests_per_change']}, passes per change "
        f"{one['passes_per_change']} ({one['passes']} passes), PSA writes {one['psa_writes']}, missed {one['missed']}",
    ]
    if burst is not None:
        lines += [
            f"burst: {burst['changes']} changes in one tenant, {burst['notification_posts']} notification POSTs "
            f"in {burst['delivered_in_s']} s (slowest acknowledgement {burst['slowest_ack_s']} s)",
            f"  passes {burst['passes']} (windows spanned {burst['windows_spanned']}), graph requests "
            f"{burst['graph_requests']}, PSA writes {burst['psa_writes']}, missed {burst['missed']}, "
            f"settled in {burst['settled_in_s']} s",
        ]
    verdicts = ", ".join(f"{k} {'met' if v else 'MISSED'}" for k, v in result["targets"].items())
    lines += ["", "targets: " + verdicts]
    return "\n".join(lines)
