"""The tenant worker: one queue message, one tenant, one lease (SYNC_RULES R2-R7)."""

from __future__ import annotations

import logging
import secrets
from datetime import timedelta

from shared.bootstrap import App
from shared.errors import GraphError, GraphForbidden, TenantNotConsented
from shared.models import Counts, MappingStatus, RunRecord, TenantResult, TenantStatus
from shared.service.apply import apply_plan
from shared.service.runs import FINAL, fail_tenant, record_tenant_result
from shared.service.tenant_facts import record_tenant_facts
from shared.service.tenant_reads import read_full_pass
from shared.store.queue import TenantMessage
from shared.sync.inputs import TenantInputs
from shared.sync.planner import plan_tenant

__all__ = ["LEASE_TTL", "sync_tenant"]

log = logging.getLogger(__name__)

LEASE_TTL = timedelta(minutes=10)  # the function timeout: a killed worker's lease lapses by then
BUSY_RETRY_SECONDS = 30


async def sync_tenant(app: App, message: TenantMessage) -> TenantResult | None:
    """Sync one tenant for one run. Transient failures raise, so the host retries and at the last try
    moves the message to the poison queue; a tenant that cannot be synced at all is recorded failed.
    Returns None when there was nothing to do (a duplicate delivery, or the tenant is busy)."""
    run = await app.runs.get(message.run_id)
    if run is None:
        log.warning("message for unknown run %s dropped", message.run_id)
        return None
    current = await app.runs.tenant_result(run.run_id, message.tenant_id)
    if current is None or current.status in FINAL:
        return None  # delivered twice: the first delivery finished this tenant
    owner = f"{run.run_id}/{secrets.token_hex(4)}"
    if not await app.leases.acquire(message.tenant_id, owner, app.clock(), LEASE_TTL):
        # Another worker has this tenant (R7.5): come back later rather than run two at once.
        await app.queue.send([message], delay_seconds=BUSY_RETRY_SECONDS)
        log.info("tenant %s busy; run %s retries in %ds", message.tenant_id, run.run_id, BUSY_RETRY_SECONDS)
        return None
    try:
        return await _sync_leased(app, run, current)
    except Exception as exc:
        # Keep what went wrong on the tenant's row, so the poison handler can say it; then let the host retry.
        note = current.model_copy(update={"error": f"{type(exc).__name__}: {exc}"[:2000]})
        await app.runs.save_tenant_result(run.run_id, note)
        raise
    finally:
        await app.leases.release(message.tenant_id, owner)


async def _sync_leased(app: App, run: RunRecord, current: TenantResult) -> TenantResult:
    tenant_id = current.tenant_id
    started = app.clock()
    mapping = await app.mappings.get(tenant_id)
    if mapping is None or mapping.status is not MappingStatus.CONFIRMED or not mapping.client_id:
        await fail_tenant(app, run.run_id, tenant_id, "the tenant is no longer mapped to a client")
        return current.model_copy(update={"status": TenantStatus.FAILED})
    client_id = mapping.client_id
    try:
        reads = await read_full_pass(app.graph.tenant(tenant_id))
    except (TenantNotConsented, GraphForbidden) as exc:
        # Retrying cannot help: record it now instead of after five tries.
        await fail_tenant(app, run.run_id, tenant_id, str(exc))
        return current.model_copy(update={"status": TenantStatus.FAILED, "error": str(exc)})
    except GraphError:
        raise  # throttled past the retries, 5xx, network: let the host retry the message
    settings = await app.sync_settings.effective(tenant_id)
    plan = plan_tenant(
        TenantInputs(
            tenant_id=tenant_id,
            client_id=client_id,
            users=reads.users,
            complete=True,
            contacts=await app.psa.list_contacts(client_id),
            links=await app.links.for_tenant(tenant_id),
            ambiguities=await app.ambiguities.for_tenant(tenant_id),
            settings=settings,
            group_members=await _group_members(app, tenant_id, settings.filters.groups),
            facts=reads.facts,
            brake_released=run.brake_released,
        )
    )
    if run.dry_run:
        outcomes, writes = plan.outcomes(), plan.writes
    else:
        applied = await apply_plan(app, plan)
        outcomes, writes = applied.outcomes, applied.psa_writes
    result = current.model_copy(
        update={
            "client_id": client_id,
            "status": TenantStatus.HELD if plan.held else TenantStatus.SUCCEEDED,
            "error": None,
            "counts": Counts.of(outcomes),
            "notes": reads.notes,
            "pass_kind": "full",
            "psa_writes": writes,
            "started_at": started,
            "completed_at": app.clock(),
        }
    )
    if not run.dry_run:
        await app.brakes.set(tenant_id, run.run_id, plan.held)
        await record_tenant_facts(app, tenant_id, client_id, reads)
    await record_tenant_result(app, run.run_id, result, outcomes)
    log.info("tenant %s in run %s: %s", tenant_id, run.run_id, result.counts.model_dump())
    return result


async def _group_members(app: App, tenant_id: str, group_ids: list[str] | None) -> dict[str, set[str]]:
    if not group_ids:
        return {}
    graph = app.graph.tenant(tenant_id)
    return {gid: await graph.group_member_ids(gid) for gid in group_ids}
