"""Starting runs, recording each tenant's result, and completing a run exactly once (SYNC_RULES R7)."""

from __future__ import annotations

import asyncio
import logging
import secrets
from datetime import datetime, timedelta

from shared.errors import Conflict, NotFound
from shared.models import (
    Counts,
    MappingStatus,
    RunRecord,
    RunStatus,
    RunType,
    TenantResult,
    TenantStatus,
    Trigger,
    UserOutcome,
)
from shared.models.queue import TenantMessage
from shared.models.runs import RunTotals
from shared.service.app import App
from shared.sync.attempts import unconfirmed

__all__ = [
    "FINAL",
    "STALE_AFTER",
    "complete_run",
    "fail_tenant",
    "finish_tenant",
    "new_run_id",
    "record_tenant_result",
    "run_details",
    "settle_run",
    "start_run",
    "sweep_runs",
]

log = logging.getLogger(__name__)

FINAL = (TenantStatus.SUCCEEDED, TenantStatus.FAILED, TenantStatus.HELD)
_MAX_MS = 10**13
STALE_AFTER = timedelta(hours=2)  # a run with no tenant finished for this long is dead: its lost tenants fail
LOST = "its message was lost"


def new_run_id(now: datetime) -> str:
    """Sorts newest first as a Table RowKey: inverted milliseconds, then randomness against ties."""
    inverted = _MAX_MS - int(now.timestamp() * 1000)
    return f"r{inverted:013d}-{secrets.token_hex(4)}"


def _scope(run_type: RunType, tenant_id: str | None, dry_run: bool) -> str:
    base = f"tenant-{tenant_id}" if run_type is RunType.TENANT else "all"
    return f"{base}-dry" if dry_run else base


async def start_run(
    app: App,
    run_type: RunType,
    trigger: Trigger,
    *,
    dry_run: bool = False,
    tenant_id: str | None = None,
    brake_released: bool = False,
    requested_by: str | None = None,
    incremental: bool | None = None,
) -> tuple[RunRecord, bool]:
    """Start a run (or join the one of the same scope that is still going, R7.5).

    Returns the run and whether it was started now. One message per mapped tenant goes on the queue.
    `incremental` asks for delta passes where a tenant allows them; by default only the timer's runs do
    (a person or the PSA asking compares everything).
    """
    if incremental is None:
        incremental = trigger is Trigger.TIMER and run_type is not RunType.INITIAL
    if run_type is RunType.TENANT and not tenant_id:
        raise Conflict("a tenant run needs a tenantId")
    if run_type is RunType.TENANT and not await _is_mapped(app, tenant_id or ""):
        # Refuse before taking the scope: a scope taken for a run never written would hold it for good.
        raise NotFound(f"tenant {tenant_id} is not mapped to a client")
    scope = _scope(run_type, tenant_id, dry_run)
    for _ in range(5):
        holder = await app.scopes.holder(scope)
        etag = None
        if holder is not None:
            running = await _wait_for_run(app, holder[0])
            if running is None:
                log.warning("run %s took the %s scope but was never written; taking the scope over", holder[0], scope)
            elif running.active:
                # Join only a run that is really alive: one whose tenants are all counted, or that made
                # no progress for STALE_AFTER, is finished first (settle_run), and a new run starts.
                running = await settle_run(app, running)
                if running.active:
                    return running, False
            etag = holder[1]
        run = (await _new_run(app, run_type, trigger, dry_run, tenant_id)).model_copy(
            update={"brake_released": brake_released, "requested_by": requested_by, "incremental": incremental}
        )
        if await app.scopes.take(scope, run.run_id, etag):
            return await _launch(app, run), True
    raise Conflict(f"could not start a {run_type.value} run: the scope kept changing")


async def _is_mapped(app: App, tenant_id: str) -> bool:
    mapping = await app.mappings.get(tenant_id)
    return mapping is not None and mapping.status is MappingStatus.CONFIRMED


async def _wait_for_run(app: App, run_id: str) -> RunRecord | None:
    # The scope is taken before the run record is written: give a concurrent start a moment to write it.
    for attempt in range(20):
        run = await app.runs.get(run_id)
        if run is not None:
            return run
        await asyncio.sleep(0.05 * (attempt + 1))
    return None


async def _new_run(app: App, run_type: RunType, trigger: Trigger, dry_run: bool, tenant_id: str | None) -> RunRecord:
    now = app.clock()
    return RunRecord(
        run_id=new_run_id(now),
        type=run_type,
        trigger=trigger,
        dry_run=dry_run,
        tenant_id=tenant_id,
        status=RunStatus.QUEUED,
        started_at=now,
    )


async def _launch(app: App, run: RunRecord) -> RunRecord:
    mappings = [m for m in await app.mappings.list() if m.status is MappingStatus.CONFIRMED]
    if run.type is RunType.TENANT:
        mappings = [m for m in mappings if m.tenant_id == run.tenant_id]
        if not mappings:
            raise NotFound(f"tenant {run.tenant_id} is not mapped to a client")
    tenants = [TenantResult(tenant_id=m.tenant_id, client_id=m.client_id, status=TenantStatus.QUEUED) for m in mappings]
    run = run.model_copy(update={"tenants_expected": len(tenants), "status": RunStatus.RUNNING})
    if not tenants:  # nothing mapped: the run is complete at once
        run = run.model_copy(update={"status": RunStatus.COMPLETED, "completed_at": app.clock()})
    await app.runs.create(run, tenants)
    await app.queue.send(TenantMessage(run_id=run.run_id, tenant_id=t.tenant_id) for t in tenants)
    log.info("run %s (%s, %s) started over %d tenants", run.run_id, run.type.value, run.trigger.value, len(tenants))
    return run


async def record_tenant_result(
    app: App, run_id: str, result: TenantResult, users: list[UserOutcome] | None = None
) -> RunRecord:
    """Store a tenant's final result and count it into the run, once; the tenant that completes the
    count completes the run, once. Returns the run as it is now."""
    await finish_tenant(app, run_id, result, users)
    return await app.runs.require(run_id)


async def finish_tenant(
    app: App, run_id: str, result: TenantResult, users: list[UserOutcome] | None = None
) -> RunTotals:
    """`record_tenant_result` without reading the run back: the same few storage transactions
    whatever the run's size (issue 16). Its user outcomes go first, then the row and the totals
    together (`RunStore.count_tenant`): a worker dying between two of these steps leaves the tenant not
    final, so its redelivery does it again; dying after them, the redelivery or the sweep completes
    the run (`settle_run`)."""
    rows = None
    if users is not None:  # none to save: no write (an unchanged tenant's pass, the most common)
        rows = await app.runs.save_user_outcomes(run_id, result.tenant_id, users) if users else 0
    totals, _ = await app.runs.count_tenant(run_id, result, user_rows=rows)
    if totals.done:
        await complete_run(app, run_id, totals)
    return totals


async def complete_run(app: App, run_id: str, totals: RunTotals) -> RunRecord:
    """Complete a run whose tenants are all counted, with its totals; once (under the row's ETag)."""
    now = app.clock()

    def complete(run: RunRecord) -> RunRecord | None:
        if not run.active:
            return None  # completed already: its status and end time are set once
        shown = totals.shown_on(run)
        return shown.model_copy(update={"status": final_status(totals), "completed_at": now})

    run = await app.runs.update(run_id, complete)
    log.info("run %s %s: %d tenants", run_id, run.status.value, totals.tenants_processed)
    return run


def final_status(totals: RunTotals) -> RunStatus:
    """R7.1: completed when every tenant succeeded; failed when every one failed; else partial (some
    failed or held: a tenant held by the safety brake is waiting for a person, not failed)."""
    if totals.succeeded == totals.tenants_processed:
        return RunStatus.COMPLETED
    if totals.failed == totals.tenants_processed:
        return RunStatus.FAILED
    return RunStatus.PARTIAL


async def settle_run(app: App, run: RunRecord) -> RunRecord:
    """Finish what no worker will finish (issue 13): complete a run whose tenants are all counted (its
    completing worker died first), and fail, as lost, the tenants of a run with no progress for
    `STALE_AFTER` (their messages are gone) unless a worker of the run still holds the tenant's lease.
    `run` as `RunStore.get` shows it (with its totals); returns it as it is now."""
    if not run.active:
        return run
    if run.tenants_processed >= run.tenants_expected:
        totals = await app.runs.totals(run.run_id)
        return await complete_run(app, run.run_id, totals or RunTotals(tenants_expected=run.tenants_expected))
    if app.clock() - (run.last_progress_at or run.started_at) < STALE_AFTER:
        return run
    lost = [t for t in await app.runs.tenant_results(run.run_id) if t.status not in FINAL]
    for tenant in lost:
        holder = await app.leases.holder(tenant.tenant_id)
        if holder is not None and holder.startswith(f"{run.run_id}/"):
            continue  # a worker of this run may still be on it; its lease lapses within LEASE_TTL
        hours = STALE_AFTER.total_seconds() / 3600
        await fail_tenant(app, run.run_id, tenant.tenant_id, f"no worker finished this tenant in {hours:g} h: {LOST}")
    return await app.runs.require(run.run_id)


async def sweep_runs(app: App) -> list[RunRecord]:
    """The timer's sweep: settle every run still going (`settle_run`); returns the runs it finished."""
    finished = []
    for run in await app.runs.active():
        settled = await settle_run(app, run)
        if not settled.active:
            finished.append(settled)
    if finished:
        log.warning("sweep finished %d run(s) no worker finished: %s", len(finished), [r.run_id for r in finished])
    return finished


async def fail_tenant(app: App, run_id: str, tenant_id: str, error: str) -> RunRecord | None:
    """Mark a tenant failed (its message went to the poison queue, it cannot be synced, or it was lost),
    with what its tries did that is known to have landed (`shared.sync.attempts.unconfirmed`)."""
    current = await app.runs.tenant_result(run_id, tenant_id)
    if current is None:
        log.warning("run %s has no tenant %s; poison message dropped", run_id, tenant_id)
        return None
    if current.status in FINAL:
        return await app.runs.get(run_id)
    users: list[UserOutcome] = []
    writes = 0
    if current.attempts:
        users, writes = unconfirmed(await app.runs.attempt(run_id, tenant_id))
    failed = current.model_copy(
        update={
            "status": TenantStatus.FAILED,
            "error": error[:2000],
            "completed_at": app.clock(),
            "counts": Counts.of(users),
            "psa_writes": writes,
        }
    )
    await finish_tenant(app, run_id, failed, users)
    return await app.runs.get(run_id)


async def run_details(app: App, run_id: str, *, with_users: bool = True) -> RunRecord:
    run = await app.runs.require(run_id)
    tenants = await app.runs.tenant_results(run_id)
    if with_users:
        users = await app.runs.user_outcomes(run_id)
        tenants = [t.model_copy(update={"users": sorted(users.get(t.tenant_id, []), key=_by_user)}) for t in tenants]
    return run.model_copy(update={"tenants": tenants})


def _by_user(user: UserOutcome) -> str:
    return user.user_id
