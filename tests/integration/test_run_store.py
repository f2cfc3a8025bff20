"""The run store on Azurite (issues 13 and 16): a tenant is counted into its run's totals exactly once,
in one transaction with its final row, whatever workers race for it; its completion costs the same
few storage transactions in a run of 200 tenants as in one of 2,000; a tenant's user rows are replaced
whole by a later try."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator

import pytest

from shared.bootstrap import build_app
from shared.config import DEV_STORAGE, load_settings
from shared.devtools.bench import StorageCounter
from shared.models import (
    Counts,
    Outcome,
    RunRecord,
    RunStatus,
    RunType,
    TenantResult,
    TenantStatus,
    Trigger,
    UserOutcome,
)
from shared.service.app import App
from shared.service.runs import finish_tenant, new_run_id
from shared.store.account import StorageAccount

pytestmark = pytest.mark.integration


@pytest.fixture
async def counted() -> AsyncIterator[tuple[App, StorageCounter]]:
    """An App on fresh Azurite tables whose every storage request is counted."""
    prefix = "t" + secrets.token_hex(5)
    settings = load_settings(AzureWebJobsStorage=DEV_STORAGE, STORAGE_NAME_PREFIX=prefix)
    counter = StorageCounter(prefix=prefix)
    account = StorageAccount.from_settings(settings, hooks=counter)
    app = build_app(settings, account=account)
    await app.ensure()
    try:
        yield app, counter
    finally:
        await account.drop()
        await app.aclose()


async def new_run(app: App, tenants: int) -> tuple[RunRecord, list[TenantResult]]:
    now = app.clock()
    run = RunRecord(
        run_id=new_run_id(now),
        type=RunType.ALL_TENANTS,
        trigger=Trigger.TIMER,
        status=RunStatus.RUNNING,
        started_at=now,
        tenants_expected=tenants,
    )
    rows = [TenantResult(tenant_id=f"t-{i:05d}", client_id=f"c-{i:05d}") for i in range(tenants)]
    await app.runs.create(run, rows)
    return run, rows


def done(row: TenantResult, app: App, created: int = 2) -> TenantResult:
    return row.model_copy(
        update={
            "status": TenantStatus.SUCCEEDED,
            "counts": Counts(created=created),
            "psa_writes": created,
            "completed_at": app.clock(),
        }
    )


async def test_a_tenant_counted_by_several_workers_at_once_is_counted_once(
    counted: tuple[App, StorageCounter],
) -> None:
    app, _ = counted
    run, rows = await new_run(app, 3)

    answers = await asyncio.gather(*(app.runs.count_tenant(run.run_id, done(rows[0], app)) for _ in range(6)))

    assert sum(now for _, now in answers) == 1
    totals = await app.runs.totals(run.run_id)
    assert totals is not None and (totals.tenants_processed, totals.counts.created, totals.psa_writes) == (1, 2, 2)


async def test_tenants_finishing_at_once_complete_the_run_once_with_totals_equal_to_their_rows(
    counted: tuple[App, StorageCounter],
) -> None:
    app, counter = counted
    run, rows = await new_run(app, 12)

    await asyncio.gather(*(finish_tenant(app, run.run_id, done(r, app, created=i), []) for i, r in enumerate(rows)))

    final = await app.runs.require(run.run_id)
    assert final.status is RunStatus.COMPLETED and final.tenants_processed == 12
    tenant_rows = await app.runs.tenant_results(run.run_id)
    assert len(tenant_rows) == 12  # the totals row is not a tenant
    assert final.counts.created == sum(r.counts.created for r in tenant_rows) == sum(range(12))
    assert final.psa_writes == sum(r.psa_writes for r in tenant_rows)
    assert counter.writes_by_table["Runs"] == 2  # written when it started and when it completed, only


@pytest.mark.parametrize("tenants", [200, 2000])
async def test_r7_2_completing_a_tenant_costs_the_same_transactions_at_200_and_2000_tenants(
    counted: tuple[App, StorageCounter], tenants: int
) -> None:
    app, counter = counted
    run, rows = await new_run(app, tenants)
    costs = []
    for row in rows[:20]:
        counter.reset()
        await finish_tenant(app, run.run_id, done(row, app), [])
        costs.append(counter.table_reads + counter.table_writes)

    # One query for the tenant row and its share of the totals, one transaction for both (no users
    # to save: no user row): 2 each, whatever the run's size.
    assert costs == [2] * 20, costs
    running = await app.runs.require(run.run_id)
    assert running.status is RunStatus.RUNNING and running.tenants_processed == 20


@pytest.mark.parametrize("later", [1, 0])
async def test_the_final_try_s_user_outcomes_replace_an_earlier_try_s_whole(
    counted: tuple[App, StorageCounter], later: int
) -> None:
    app, _ = counted
    run, rows = await new_run(app, 2)
    many = [UserOutcome(user_id=f"u-{i:04d}", outcome=Outcome.UNCHANGED, reason="same") for i in range(450)]
    await app.runs.save_user_outcomes(run.run_id, rows[0].tenant_id, many)  # three rows, then the try died
    assert await app.runs.user_outcomes(run.run_id) == {}  # a tenant not final has none yet
    few = [UserOutcome(user_id="u-0001", outcome=Outcome.CREATED, reason="new")][:later]

    await finish_tenant(app, run.run_id, done(rows[0], app), few)

    assert await app.runs.user_outcomes(run.run_id) == ({rows[0].tenant_id: few} if few else {})
    assert await app.runs.user_outcomes(run.run_id, rows[0].tenant_id) == ({rows[0].tenant_id: few} if few else {})


async def test_a_worker_reads_a_runs_options_once_and_its_live_totals_every_time(
    counted: tuple[App, StorageCounter],
) -> None:
    app, counter = counted
    run, rows = await new_run(app, 2)
    first = await app.runs.get(run.run_id, live=False)
    await finish_tenant(app, run.run_id, done(rows[0], app), [])
    counter.reset()

    again = await app.runs.get(run.run_id, live=False)
    assert counter.table_reads == 0 and again == first  # the type and options, as read before
    live = await app.runs.get(run.run_id)
    assert live is not None and live.tenants_processed == 1 and counter.table_reads == 2
