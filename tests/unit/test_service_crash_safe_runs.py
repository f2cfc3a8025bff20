"""Crash-safe runs on fakes (issue 13): whatever point a worker fails or dies at, the run reaches its
final status, reports what happened in it across tries, and its tenant leases do not outlive their
owners. Every injected fault is counted and asserted to have fired."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from azure.functions.timer import TimerRequest

from functions.sweep import run_sweep
from shared.bootstrap import set_app
from shared.errors import GraphError, StorageUnavailable
from shared.models import EntraUser, RunRecord, RunStatus, RunType, TenantStatus, Trigger
from shared.models.queue import TenantMessage
from shared.service import sync_tenant as worker
from shared.service.app import App
from shared.service.runs import FINAL, STALE_AFTER, run_details, start_run, sweep_runs
from shared.service.sync_tenant import sync_tenant
from shared.service.tenant_reads import MFA_UNREAD_NOTE, SECURE_SCORE_UNREAD_NOTE
from tests.unit.fakes import (
    FakeClock,
    FakeGraph,
    FakeLeaseStore,
    FakeRunStore,
    FakeTenant,
    MemoryPsa,
    fake,
    fake_app,
)
from tests.unit.fakes.builders import CLIENT, TENANT, entra_user, map_tenant

USERS = [entra_user("u-ann", "ann.lee"), entra_user("u-bob", "bob.ray"), entra_user("u-cy", "cy.ng")]
OTHER = "t-other"


class WorkerKilled(BaseException):
    """The worker's process dies here: no `except Exception` runs, only `finally` blocks."""


class Fault:
    """Raise `error` right after (or, `before`, instead of) the `nth` call of `method` on `port` that
    `when` accepts, once."""

    def __init__(
        self,
        port: object,
        method: str,
        error: BaseException,
        *,
        nth: int = 1,
        before: bool = False,
        when: Callable[..., bool] = lambda *a, **k: True,
    ) -> None:
        self.fired = 0
        self.calls = 0
        original = getattr(port, method)

        def fire(*args: Any, **kwargs: Any) -> None:
            if when(*args, **kwargs):
                self.calls += 1
                if self.calls == nth and not self.fired:
                    self.fired += 1
                    raise error

        async def wrapped(*args: Any, **kwargs: Any) -> Any:
            if before:
                fire(*args, **kwargs)
            result = await original(*args, **kwargs)
            if not before:
                fire(*args, **kwargs)
            return result

        setattr(port, method, wrapped)


async def world(
    *, bulk: bool = True, tenants: tuple[str, ...] = (TENANT,)
) -> tuple[App, dict[str, FakeTenant], MemoryPsa]:
    graph = {tid: FakeTenant(tid, USERS) for tid in tenants}
    psa = MemoryPsa(bulk=bulk)
    app = fake_app(graph=FakeGraph(graph.values()), psa=psa, clock=FakeClock())
    for tid in tenants:
        await map_tenant(app, tid, CLIENT if tid == TENANT else f"c-{tid}")
    return app, graph, psa


async def start(
    app: App, run_type: RunType = RunType.INITIAL, trigger: Trigger = Trigger.MANUAL, tenant_id: str = TENANT
) -> RunRecord:
    run, started = await start_run(app, run_type, trigger, tenant_id=tenant_id if run_type is RunType.TENANT else None)
    assert started
    return run


def message(run: RunRecord, tenant_id: str = TENANT) -> TenantMessage:
    return TenantMessage(run_id=run.run_id, tenant_id=tenant_id)


async def deliver(app: App, msg: TenantMessage) -> BaseException | None:
    """One delivery, as the host makes it; what it raised (the host then redelivers)."""
    try:
        await sync_tenant(app, msg)
    except BaseException as exc:  # a kill too: the host sees the worker gone and redelivers
        return exc
    return None


async def assert_consistent(app: App, run_id: str) -> RunRecord:
    """The run is final and its totals are the sum of its tenant rows and of its user rows."""
    run = await run_details(app, run_id)
    assert run.status not in (RunStatus.QUEUED, RunStatus.RUNNING)
    assert all(t.status in FINAL for t in run.tenants)
    assert run.tenants_processed == len(run.tenants) == run.tenants_expected
    total_counts = {k: sum(getattr(t.counts, k) for t in run.tenants) for k in run.counts.model_dump()}
    assert run.counts.model_dump() == total_counts
    assert run.psa_writes == sum(t.psa_writes for t in run.tenants)
    for tenant in run.tenants:
        by_user = {k: sum(u.outcome.value == k for u in tenant.users) for k in tenant.counts.model_dump()}
        assert tenant.counts.model_dump() == by_user, tenant.tenant_id
        assert len({u.user_id for u in tenant.users}) == len(tenant.users)  # one outcome per user (R7.3)
    return run


# A run stuck in `running`


@pytest.mark.parametrize("error", [RuntimeError("storage failed"), WorkerKilled()], ids=["exception", "kill"])
async def test_r7_2_a_worker_dying_after_its_tenant_is_final_leaves_the_run_to_its_redelivery(
    error: BaseException,
) -> None:
    app, graph, psa = await world()
    run = await start(app)
    # The worker dies once its tenant is final, before the run's record is completed.
    fault = Fault(app.runs, "update", error, before=True)

    assert isinstance(await deliver(app, message(run)), type(error))
    assert fault.fired == 1
    assert (await app.runs.require(run.run_id)).status is RunStatus.RUNNING

    assert await deliver(app, message(run)) is None  # the redelivery finds the tenant final: finishes the run

    final = await assert_consistent(app, run.run_id)
    assert final.status is RunStatus.COMPLETED and final.counts.created == 3
    assert graph[TENANT].calls["users"] == 1 and psa.writes == final.psa_writes == 3  # the pass ran once
    assert fake(app.runs, FakeRunStore).completions == 1


async def test_r7_5_a_start_never_joins_a_run_whose_tenants_are_all_final() -> None:
    app, _, _ = await world()
    dead = await start(app, RunType.TENANT)
    fault = Fault(app.runs, "update", WorkerKilled(), before=True)
    assert isinstance(await deliver(app, message(dead)), WorkerKilled) and fault.fired == 1

    again, started = await start_run(app, RunType.TENANT, Trigger.WEBHOOK, tenant_id=TENANT)

    assert started and again.run_id != dead.run_id
    assert (await app.runs.require(dead.run_id)).status is RunStatus.COMPLETED  # finished, not left running


async def test_the_sweep_completes_a_run_no_redelivery_will_and_leaves_live_runs_alone() -> None:
    app, _, _ = await world(tenants=(TENANT, OTHER))
    run = await start(app)
    fault = Fault(app.runs, "update", WorkerKilled(), before=True)
    assert await deliver(app, message(run, OTHER)) is None
    assert isinstance(await deliver(app, message(run, TENANT)), WorkerKilled) and fault.fired == 1
    live = await start(app, RunType.TENANT, Trigger.MANUAL, tenant_id=OTHER)  # another scope: a live run

    finished = await sweep_runs(app)

    assert [r.run_id for r in finished] == [run.run_id]
    assert (await assert_consistent(app, run.run_id)).status is RunStatus.COMPLETED
    assert (await app.runs.require(live.run_id)).status is RunStatus.RUNNING


async def test_the_sweep_timer_finishes_a_run_whose_completing_worker_died() -> None:
    app, _, _ = await world()
    run = await start(app)
    fault = Fault(app.runs, "update", WorkerKilled(), before=True)
    assert isinstance(await deliver(app, message(run)), WorkerKilled) and fault.fired == 1
    set_app(app)
    try:
        await run_sweep.build().get_user_function()(TimerRequest())
    finally:
        set_app(None)

    assert (await assert_consistent(app, run.run_id)).status is RunStatus.COMPLETED


async def test_the_sweep_fails_the_tenants_whose_messages_were_lost_once_the_run_makes_no_progress() -> None:
    app, _, _ = await world(tenants=(TENANT, OTHER))
    run = await start(app)
    assert await deliver(app, message(run, OTHER)) is None  # TENANT's message is lost
    clock = fake(app.clock, FakeClock)

    clock.advance(STALE_AFTER - timedelta(minutes=1))
    assert await sweep_runs(app) == []
    clock.advance(timedelta(minutes=2))
    finished = await sweep_runs(app)

    assert [r.run_id for r in finished] == [run.run_id]
    final = await assert_consistent(app, run.run_id)
    assert final.status is RunStatus.PARTIAL and (final.succeeded, final.failed) == (1, 1)
    lost = await app.runs.tenant_result(run.run_id, TENANT)
    assert lost is not None and "message was lost" in (lost.error or "")


async def test_the_sweep_leaves_a_tenant_a_worker_of_the_run_still_holds() -> None:
    app, _, _ = await world()
    run = await start(app)
    clock = fake(app.clock, FakeClock)
    assert await app.leases.acquire(TENANT, worker.lease_owner(run.run_id, TENANT), clock(), worker.LEASE_TTL)
    clock.advance(STALE_AFTER + timedelta(minutes=1))

    assert await sweep_runs(app) == []
    assert (await app.runs.require(run.run_id)).status is RunStatus.RUNNING


# Outcomes across tries


@pytest.mark.parametrize("bulk", [True, False], ids=["bulk", "one-by-one"])
@pytest.mark.parametrize("error", [RuntimeError("links not saved"), WorkerKilled()], ids=["exception", "kill"])
async def test_a_contact_created_by_a_try_that_then_failed_counts_created_once(
    bulk: bool, error: BaseException
) -> None:
    app, _, psa = await world(bulk=bulk)
    run = await start(app)
    method = "create_contacts" if bulk else "create_contact"
    fault = Fault(app.psa, method, error)  # the PSA took the create; the worker fails before anything else

    assert isinstance(await deliver(app, message(run)), type(error)) and fault.fired == 1
    assert await app.links.for_tenant(TENANT) == []  # nothing recorded the new contact
    assert await deliver(app, message(run)) is None

    final = await assert_consistent(app, run.run_id)
    assert final.counts.created == 3 and final.counts.linked == 0
    assert final.psa_writes == psa.writes == 3
    assert sorted(c.entra_user_id or "" for c in psa.of_client(CLIENT)) == ["u-ann", "u-bob", "u-cy"]
    ids = {u.contact_id for t in final.tenants for u in t.users}
    assert ids == {c.id for c in psa.of_client(CLIENT)}
    row = await app.runs.tenant_result(run.run_id, TENANT)
    assert row is not None and row.attempts == 2


@pytest.mark.parametrize("error", [RuntimeError("after the cursor"), WorkerKilled()], ids=["exception", "kill"])
async def test_an_update_and_an_inactivation_a_failed_try_made_count_once(error: BaseException) -> None:
    app, graph, psa = await world()
    await deliver(app, message(await start(app)))
    graph[TENANT].change(EntraUser(id="u-bob", job_title="Office Manager"))
    graph[TENANT].change(EntraUser(id="u-cy", account_enabled=False))
    run = await start(app, RunType.TENANT, Trigger.TIMER)
    before = psa.writes
    fault = Fault(app.cursors, "save", error)  # after the PSA, the links and the delta link moved on

    assert isinstance(await deliver(app, message(run)), type(error)) and fault.fired == 1
    assert await deliver(app, message(run)) is None

    final = await assert_consistent(app, run.run_id)
    assert (final.counts.updated, final.counts.inactivated) == (1, 1)
    assert final.psa_writes == psa.writes - before == 2


@pytest.mark.parametrize("bulk", [True, False], ids=["bulk", "one-by-one"])
async def test_r5_3_a_contact_a_killed_try_inactivated_is_reactivated_when_the_user_is_enabled_again(
    bulk: bool,
) -> None:
    app, graph, psa = await world(bulk=bulk)
    await deliver(app, message(await start(app)))
    graph[TENANT].change(EntraUser(id="u-cy", account_enabled=False))
    disabled = await start(app, RunType.TENANT, Trigger.TIMER)
    # The PSA inactivated the contact; the worker dies before the link says the sync did it.
    fault = Fault(app.psa, "change_contacts" if bulk else "set_contact_active", WorkerKilled())
    assert isinstance(await deliver(app, message(disabled)), WorkerKilled) and fault.fired == 1
    assert await deliver(app, message(disabled)) is None
    assert (await assert_consistent(app, disabled.run_id)).counts.inactivated == 1

    graph[TENANT].change(EntraUser(id="u-cy", account_enabled=True))
    fake(app.clock, FakeClock).advance(timedelta(minutes=5))
    enabled = await start(app, RunType.TENANT, Trigger.TIMER)
    assert await deliver(app, message(enabled)) is None

    assert (await assert_consistent(app, enabled.run_id)).counts.reactivated == 1
    [cy] = [c for c in psa.of_client(CLIENT) if c.entra_user_id == "u-cy"]
    assert cy.active


@pytest.mark.parametrize(
    ("port", "method"),
    [("runs", "save_user_outcomes"), ("cursors", "save"), ("links", "save_many")],
)
async def test_a_delta_pass_retried_after_its_cursor_moved_still_reports_what_the_failed_try_did(
    port: str, method: str
) -> None:
    app, graph, psa = await world()
    await deliver(app, message(await start(app)))
    graph[TENANT].change(entra_user("u-dee", "dee.ho"))
    run = await start(app, RunType.TENANT, Trigger.TIMER)
    fault = Fault(getattr(app, port), method, WorkerKilled())

    assert isinstance(await deliver(app, message(run)), WorkerKilled) and fault.fired == 1
    assert await deliver(app, message(run)) is None

    final = await assert_consistent(app, run.run_id)
    assert final.counts.created == 1 and final.psa_writes == 1
    [dee] = [c for c in psa.of_client(CLIENT) if c.entra_user_id == "u-dee"]
    assert [(u.user_id, u.contact_id) for t in final.tenants for u in t.users] == [("u-dee", dee.id)]


async def test_the_error_of_a_failed_try_never_overwrites_the_tenants_final_row() -> None:
    app, graph, psa = await world(tenants=(TENANT, OTHER))
    run = await start(app)
    runs = fake(app.runs, FakeRunStore)
    fired: list[str] = []

    def first_time_final(*args: Any, **kwargs: Any) -> bool:
        if fired or runs.tenants[run.run_id][TENANT].status not in FINAL:
            return False
        fired.append("right after the tenant's final row")
        return True

    # Right after the tenant's final row is written, whichever call writes it, the try fails.
    faults = [
        Fault(runs, method, RuntimeError("storage failed after the final row"), when=first_time_final)
        for method in ("count_tenant", "save_tenant_result", "update", "save_user_outcomes")
        if hasattr(runs, method)
    ]

    assert isinstance(await deliver(app, message(run, TENANT)), RuntimeError)
    assert len(fired) == 1 and sum(f.fired for f in faults) == 1
    row = await app.runs.tenant_result(run.run_id, TENANT)
    assert row is not None and row.status is TenantStatus.SUCCEEDED and row.error is None
    assert await deliver(app, message(run, OTHER)) is None
    assert await deliver(app, message(run, TENANT)) is None  # the redelivery: counted already

    final = await assert_consistent(app, run.run_id)
    assert final.status is RunStatus.COMPLETED and final.counts.created == 6
    assert graph[TENANT].calls["users"] == 1 and psa.writes == 6


# Leases


async def test_a_lease_release_that_fails_through_a_storage_blip_is_retried(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(worker, "RELEASE_WAIT", 0.0, raising=False)
    app, _, _ = await world()
    run = await start(app)
    leases = fake(app.leases, FakeLeaseStore)
    release = leases.release
    failures = 0

    async def blip(tenant_id: str, owner: str) -> None:
        nonlocal failures
        if failures < 3:
            failures += 1
            raise StorageUnavailable("storage is unavailable", endpoint="http://127.0.0.1:10002", setting="x")
        await release(tenant_id, owner)

    monkeypatch.setattr(leases, "release", blip)

    assert await deliver(app, message(run)) is None

    assert (await app.runs.require(run.run_id)).status is RunStatus.COMPLETED
    assert failures == 3 and leases.rows == {} and leases.released == 1


async def test_a_redelivery_takes_over_the_lease_an_earlier_try_of_its_run_left_behind() -> None:
    app, _, psa = await world()
    run = await start(app)
    leases = fake(app.leases, FakeLeaseStore)
    # A killed try's lease: its owner is this run and tenant, and it would hold the tenant 10 minutes.
    assert await leases.acquire(TENANT, worker.lease_owner(run.run_id, TENANT), app.clock(), worker.LEASE_TTL)

    assert await deliver(app, message(run)) is None

    assert (await app.runs.require(run.run_id)).status is RunStatus.COMPLETED and psa.writes == 3
    assert leases.taken_over == 1 and leases.rows == {}


async def test_another_runs_lease_is_taken_over_once_its_tenant_is_final_and_waited_for_while_not() -> None:
    app, _, _ = await world()
    first = await start(app)
    leases = fake(app.leases, FakeLeaseStore)
    stale = worker.lease_owner(first.run_id, TENANT)
    assert await leases.acquire(TENANT, stale, app.clock(), worker.LEASE_TTL)
    second = await start(app, RunType.TENANT, Trigger.WEBHOOK)  # another scope, another run

    assert await deliver(app, message(second)) is None
    waiting = await app.runs.tenant_result(second.run_id, TENANT)
    assert waiting is not None and waiting.status is TenantStatus.QUEUED
    assert leases.rows[TENANT][0] == stale  # its owner's tenant is not final: maybe a live worker, waited for

    assert await deliver(app, message(first)) is None  # the first run's redelivery takes its own lease back
    assert await leases.acquire(TENANT, stale, app.clock(), worker.LEASE_TTL)  # ...and, say, fails to release it
    assert await deliver(app, message(second)) is None

    done = await app.runs.tenant_result(second.run_id, TENANT)
    assert done is not None and done.status is TenantStatus.SUCCEEDED
    assert leases.taken_over == 2


# Optional reads


@pytest.mark.parametrize(
    ("method", "note"),
    [
        ("registration_details", MFA_UNREAD_NOTE.split(" (")[0]),
        ("latest_secure_score", SECURE_SCORE_UNREAD_NOTE.split(" (")[0]),
    ],
    ids=["mfa-report", "secure-score"],
)
async def test_a_503_on_an_optional_read_degrades_that_fact_with_a_note_and_syncs_the_contacts(
    method: str, note: str
) -> None:
    app, graph, psa = await world()
    graph[TENANT].fail(method, GraphError("503 Service Unavailable", status=503))
    run = await start(app)

    assert await deliver(app, message(run)) is None

    assert graph[TENANT].faults_fired[method] == 1
    row = await app.runs.tenant_result(run.run_id, TENANT)
    assert row is not None and row.status is TenantStatus.SUCCEEDED and row.counts.created == 3
    assert any(n.startswith(note) and "503" in n for n in row.notes)
    assert psa.writes == 3
