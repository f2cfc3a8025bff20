"""Runs on fakes (R7.1, R7.2, R7.5): starting or joining, one message per mapped tenant, each tenant's
result recorded, and the run completed exactly once with totals that are the sum of its tenant rows."""

from __future__ import annotations

from datetime import timedelta

import pytest

from shared.errors import Conflict, NotFound
from shared.models import (
    Counts,
    Mapping,
    MappingStatus,
    Outcome,
    RunStatus,
    RunType,
    TenantResult,
    TenantStatus,
    Trigger,
    UserOutcome,
)
from shared.service.app import App
from shared.service.runs import STALE_AFTER, fail_tenant, record_tenant_result, run_details, start_run
from tests.unit.fakes import FakeClock, FakeRunStore, FakeWorkQueue, fake, fake_app
from tests.unit.fakes.builders import map_tenant

TENANTS = ["t-a", "t-b", "t-c"]


async def mapped_app(tenants: list[str] = TENANTS) -> App:
    app = fake_app()
    for tenant_id in tenants:
        await map_tenant(app, tenant_id, f"c-{tenant_id}")
    await app.mappings.save(Mapping(tenant_id="t-skipped", status=MappingStatus.SKIPPED))
    return app


def result(tenant_id: str, status: TenantStatus, **counts: int) -> TenantResult:
    return TenantResult(
        tenant_id=tenant_id,
        client_id=f"c-{tenant_id}",
        status=status,
        counts=Counts(**counts),
        psa_writes=sum(counts.values()),
    )


async def test_r7_1_a_run_queues_one_message_per_confirmed_tenant_and_is_running() -> None:
    app = await mapped_app()

    run, started = await start_run(app, RunType.ALL_TENANTS, Trigger.MANUAL, requested_by="ops@msp.example")

    assert started and run.status is RunStatus.RUNNING and run.tenants_expected == 3
    assert [m.tenant_id for m in fake(app.queue, FakeWorkQueue).messages()] == TENANTS
    rows = await app.runs.tenant_results(run.run_id)
    assert [(r.tenant_id, r.status) for r in rows] == [(t, TenantStatus.QUEUED) for t in TENANTS]
    assert not run.incremental  # a person asked: full passes


async def test_r7_1_the_timers_runs_are_incremental_and_initial_runs_never() -> None:
    timer, _ = await start_run(await mapped_app(), RunType.ALL_TENANTS, Trigger.TIMER)
    initial, _ = await start_run(await mapped_app(), RunType.INITIAL, Trigger.TIMER)

    assert timer.incremental and not initial.incremental


async def test_r7_5_a_second_start_of_the_same_scope_joins_the_running_one() -> None:
    app = await mapped_app()
    first, _ = await start_run(app, RunType.ALL_TENANTS, Trigger.MANUAL)

    second, started = await start_run(app, RunType.ALL_TENANTS, Trigger.WEBHOOK)
    dry, dry_started = await start_run(app, RunType.ALL_TENANTS, Trigger.MANUAL, dry_run=True)

    assert not started and second.run_id == first.run_id
    assert dry_started and dry.run_id != first.run_id  # a dry run has a scope of its own
    assert len(fake(app.queue, FakeWorkQueue).sent) == 6


async def test_r7_5_a_run_still_running_after_two_hours_no_longer_holds_its_scope() -> None:
    app = await mapped_app()
    first, _ = await start_run(app, RunType.ALL_TENANTS, Trigger.MANUAL)
    fake(app.clock, FakeClock).advance(STALE_AFTER + timedelta(seconds=1))

    second, started = await start_run(app, RunType.ALL_TENANTS, Trigger.MANUAL)

    assert started and second.run_id != first.run_id


async def test_a_tenant_run_of_an_unmapped_tenant_is_refused_before_it_takes_a_scope() -> None:
    app = await mapped_app()

    with pytest.raises(NotFound):
        await start_run(app, RunType.TENANT, Trigger.MANUAL, tenant_id="t-skipped")
    with pytest.raises(Conflict):
        await start_run(app, RunType.TENANT, Trigger.MANUAL)
    assert await app.scopes.holder("tenant-t-skipped") is None


async def test_r7_1_a_run_with_nothing_mapped_is_complete_at_once() -> None:
    app = fake_app()

    run, _ = await start_run(app, RunType.ALL_TENANTS, Trigger.TIMER)

    assert run.status is RunStatus.COMPLETED and run.completed_at is not None
    assert fake(app.queue, FakeWorkQueue).sent == []


async def test_r7_2_the_last_tenant_completes_the_run_once_with_the_sum_of_the_tenant_rows() -> None:
    app = await mapped_app()
    run, _ = await start_run(app, RunType.ALL_TENANTS, Trigger.MANUAL)
    runs = fake(app.runs, FakeRunStore)
    rows = [
        result("t-a", TenantStatus.SUCCEEDED, created=2, unchanged=1),
        result("t-b", TenantStatus.SUCCEEDED, updated=1, inactivated=1),
        result("t-c", TenantStatus.SUCCEEDED, linked=3, failed=1),
    ]

    after_one = await record_tenant_result(app, run.run_id, rows[0], [])
    assert after_one.status is RunStatus.RUNNING and after_one.tenants_processed == 1
    for row in rows[1:]:
        await record_tenant_result(app, run.run_id, row, [])
    again = await record_tenant_result(app, run.run_id, rows[2], [])  # a late duplicate

    final = await app.runs.require(run.run_id)
    assert final.status is RunStatus.COMPLETED and final.tenants_processed == 3 and final.succeeded == 3
    total = Counts()
    for row in await app.runs.tenant_results(run.run_id):
        total = total.plus(row.counts)
    assert final.counts == total == Counts(created=2, unchanged=1, updated=1, inactivated=1, linked=3, failed=1)
    assert final.psa_writes == sum(r.psa_writes for r in rows)
    assert runs.completions == 1 and again.completed_at == final.completed_at


@pytest.mark.parametrize(
    ("statuses", "expected"),
    [
        ([TenantStatus.SUCCEEDED] * 3, RunStatus.COMPLETED),
        ([TenantStatus.SUCCEEDED, TenantStatus.FAILED, TenantStatus.SUCCEEDED], RunStatus.PARTIAL),
        ([TenantStatus.SUCCEEDED, TenantStatus.HELD, TenantStatus.SUCCEEDED], RunStatus.PARTIAL),
        ([TenantStatus.HELD] * 3, RunStatus.PARTIAL),
        ([TenantStatus.FAILED] * 3, RunStatus.FAILED),
    ],
    ids=["all-succeeded", "one-failed", "one-held", "all-held", "all-failed"],
)
async def test_r7_1_final_status(statuses: list[TenantStatus], expected: RunStatus) -> None:
    app = await mapped_app()
    run, _ = await start_run(app, RunType.ALL_TENANTS, Trigger.MANUAL)

    for tenant_id, status in zip(TENANTS, statuses, strict=True):
        await record_tenant_result(app, run.run_id, result(tenant_id, status))

    final = await app.runs.require(run.run_id)
    assert final.status is expected
    assert (final.succeeded, final.failed, final.held) == tuple(
        statuses.count(s) for s in (TenantStatus.SUCCEEDED, TenantStatus.FAILED, TenantStatus.HELD)
    )


async def test_fail_tenant_records_the_error_once_and_leaves_a_finished_tenant_alone() -> None:
    app = await mapped_app(["t-a", "t-b"])
    run, _ = await start_run(app, RunType.ALL_TENANTS, Trigger.MANUAL)
    await record_tenant_result(app, run.run_id, result("t-a", TenantStatus.SUCCEEDED, created=1))

    failed = await fail_tenant(app, run.run_id, "t-b", "gave up after 5 tries: 500")
    again = await fail_tenant(app, run.run_id, "t-a", "a late poison message")

    row = await app.runs.tenant_result(run.run_id, "t-b")
    assert row is not None and row.status is TenantStatus.FAILED and row.error == "gave up after 5 tries: 500"
    assert failed is not None and failed.status is RunStatus.PARTIAL
    done = await app.runs.tenant_result(run.run_id, "t-a")
    assert done is not None and done.status is TenantStatus.SUCCEEDED and again is not None
    assert await fail_tenant(app, run.run_id, "t-unknown", "x") is None


async def test_r7_2_run_details_carry_every_tenant_and_each_users_outcome_sorted() -> None:
    app = await mapped_app(["t-a"])
    run, _ = await start_run(app, RunType.ALL_TENANTS, Trigger.MANUAL)
    users = [
        UserOutcome(user_id="u-2", outcome=Outcome.CREATED, reason="no contact"),
        UserOutcome(user_id="u-1", outcome=Outcome.IGNORED, reason="a guest"),
    ]
    await record_tenant_result(app, run.run_id, result("t-a", TenantStatus.SUCCEEDED, created=1, ignored=1), users)

    details = await run_details(app, run.run_id)
    slim = await run_details(app, run.run_id, with_users=False)

    assert [u.user_id for u in details.tenants[0].users] == ["u-1", "u-2"]
    assert slim.tenants[0].users == [] and slim.tenants[0].counts.created == 1
    with pytest.raises(NotFound):
        await run_details(app, "r-missing")
