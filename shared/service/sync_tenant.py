"""The tenant worker: one queue message, one tenant, one lease (SYNC_RULES R2-R7).

This is the edge of a tenant's pass: drop a message for an unknown run or a tenant already finished
(a duplicate delivery), take the tenant's lease (busy: the message comes back later), check the
mapping, let the policy (`shared.sync.pass_policy.full_pass_reason`) choose a full pass
(`shared.service.full_pass`) or a delta pass (`shared.service.delta_pass`), and sort what goes wrong:
a delta link Graph no longer knows (410) means a full pass now; a tenant that withdrew consent or
forbids the reads is failed at once; anything else escapes, so the host retries and at the last try
moves the message to the poison queue.

The delta link, the snapshot and the rest of the cursor are saved after the plan is applied (never by
a dry run), in one transaction per 100 rows with the cursor last: a worker killed before that replays
the same changes, which the apply's idempotence absorbs.
"""

from __future__ import annotations

import logging
import secrets
from datetime import timedelta

from shared.errors import DeltaExpired, GraphError, GraphPermanent
from shared.models import MappingStatus, RunRecord, TenantResult, TenantStatus
from shared.service.app import App
from shared.service.delta_pass import delta_pass
from shared.service.full_pass import full_pass
from shared.service.runs import FINAL, fail_tenant
from shared.service.tenant_pass import TenantPass
from shared.store.queue import TenantMessage
from shared.sync.pass_policy import full_pass_reason

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
    settings = await app.sync_settings.effective(tenant_id)
    work = TenantPass(run, current, mapping.client_id, settings, await app.cursors.get(tenant_id), started)
    interval = timedelta(hours=app.settings.full_sync_interval_hours)
    why = full_pass_reason(run, work.cursor, work.client_id, settings, started, interval)
    try:
        if why is None:
            try:
                return await delta_pass(app, work)
            except DeltaExpired:
                log.info("tenant %s: the delta link expired; full pass", tenant_id)
                why = "the delta link expired"
        return await full_pass(app, work, why)
    except GraphPermanent as exc:
        # Retrying cannot help: record it now instead of after five tries.
        await fail_tenant(app, run.run_id, tenant_id, str(exc))
        return current.model_copy(update={"status": TenantStatus.FAILED, "error": str(exc)})
    except GraphError:
        raise  # throttled past the retries, 5xx, network: let the host retry the message
