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
from shared.service.app import App
from shared.store.queue import TenantMessage

__all__ = ["FINAL", "fail_tenant", "new_run_id", "record_tenant_result", "run_details", "start_run"]

log = logging.getLogger(__name__)

FINAL = (TenantStatus.SUCCEEDED, TenantStatus.FAILED, TenantStatus.HELD)
_ACTIVE = (RunStatus.QUEUED, RunStatus.RUNNING)
_MAX_MS = 10**13
STALE_AFTER = timedelta(hours=2)  # a run still "running" after this no longer holds its scope


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
            elif running.status in _ACTIVE and app.clock() - running.started_at < STALE_AFTER:
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
    """Store a tenant's final result, then recount the run; the last tenant in completes it, once."""
    if users is not None:
        await app.runs.save_user_outcomes(run_id, result.tenant_id, users)
    await app.runs.save_tenant_result(run_id, result)
    results = await app.runs.tenant_results(run_id)
    now = app.clock()

    def recount(run: RunRecord) -> RunRecord | None:
        if run.status not in _ACTIVE:
            return None  # completed already: its status and end time are set once
        done = [r for r in results if r.status in FINAL]
        counts = Counts()
        for r in done:
            counts = counts.plus(r.counts)
        update: dict[str, object] = {
            "tenants_processed": len(done),
            "succeeded": sum(r.status is TenantStatus.SUCCEEDED for r in done),
            "failed": sum(r.status is TenantStatus.FAILED for r in done),
            "held": sum(r.status is TenantStatus.HELD for r in done),
            "counts": counts,
            "psa_writes": sum(r.psa_writes for r in done),
        }
        if len(done) >= run.tenants_expected:
            update["completed_at"] = now
            update["status"] = final_status(done)
        return run.model_copy(update=update)

    return await app.runs.update(run_id, recount)


def final_status(results: list[TenantResult]) -> RunStatus:
    """R7.1: completed when every tenant succeeded; failed when every one failed; else partial (some
    failed or held: a tenant held by the safety brake is waiting for a person, not failed)."""
    if all(r.status is TenantStatus.SUCCEEDED for r in results):
        return RunStatus.COMPLETED
    if all(r.status is TenantStatus.FAILED for r in results):
        return RunStatus.FAILED
    return RunStatus.PARTIAL


async def fail_tenant(app: App, run_id: str, tenant_id: str, error: str) -> RunRecord | None:
    """Mark a tenant failed (its message went to the poison queue, or it cannot be synced)."""
    current = await app.runs.tenant_result(run_id, tenant_id)
    if current is None:
        log.warning("run %s has no tenant %s; poison message dropped", run_id, tenant_id)
        return None
    if current.status in FINAL:
        return await app.runs.get(run_id)
    failed = current.model_copy(
        update={"status": TenantStatus.FAILED, "error": error[:2000], "completed_at": app.clock()}
    )
    return await record_tenant_result(app, run_id, failed, None)


async def run_details(app: App, run_id: str, *, with_users: bool = True) -> RunRecord:
    run = await app.runs.require(run_id)
    tenants = await app.runs.tenant_results(run_id)
    if with_users:
        users = await app.runs.user_outcomes(run_id)
        tenants = [t.model_copy(update={"users": sorted(users.get(t.tenant_id, []), key=_by_user)}) for t in tenants]
    return run.model_copy(update={"tenants": tenants})


def _by_user(user: UserOutcome) -> str:
    return user.user_id
