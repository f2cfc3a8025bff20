"""The tenant worker: one queue message, one tenant, one lease (SYNC_RULES R2-R7).

This is the edge of a tenant's pass: drop a message for an unknown run; for a tenant already finished
(a duplicate delivery) finish the run's completion if the worker that finished the tenant died before
it; take the tenant's lease (busy: the message comes back later; a stale lease whose owner is provably
gone is taken over), check the mapping, let the policy (`shared.sync.pass_policy.full_pass_reason`)
choose a full pass (`shared.service.full_pass`) or a delta pass (`shared.service.delta_pass`), and sort
what goes wrong: a delta link Graph no longer knows (410) means a full pass now; an error no retry can
fix (`GraphPermanent`: no consent, a missing role, a refused id or credential) fails the tenant at once;
anything else escapes, so the host retries and at the last try moves the message to the poison queue.

Whatever point a worker dies at, nothing is lost or counted twice (issue 13): a try records what it is
about to write before it writes (`shared.sync.attempts`), the tenant's final row and the run's totals
are one transaction (`shared.service.runs.finish_tenant`), the error of a failed try is noted on the
current row under its ETag, and a timer sweeps the runs no redelivery will finish (`sweep_runs`).

The delta link, the snapshot and the rest of the cursor are saved after the plan is applied (never by
a dry run), in one transaction per 100 rows with the cursor last: a worker killed before that replays
the same changes, which the apply's idempotence absorbs.
"""

from __future__ import annotations

import logging
import secrets
from datetime import timedelta

from tenacity import AsyncRetrying, retry_if_exception_type, stop_after_attempt, wait_exponential

from shared.errors import DeltaExpired, GraphError, GraphPermanent, StorageError
from shared.models import MappingStatus, RunRecord, TenantResult, TenantStatus
from shared.models.queue import TenantMessage
from shared.service.app import App
from shared.service.delta_pass import delta_pass
from shared.service.full_pass import full_pass
from shared.service.runs import FINAL, fail_tenant, settle_run
from shared.service.tenant_pass import TenantPass
from shared.sync.pass_policy import full_pass_reason

__all__ = ["BUSY_RETRY_SECONDS", "LEASE_TTL", "lease_owner", "sync_tenant"]

log = logging.getLogger(__name__)

LEASE_TTL = timedelta(minutes=10)  # the function timeout: a killed worker's lease lapses by then
BUSY_RETRY_SECONDS = 30
# Releasing the lease outlasts a storage blip of a few seconds (each try has the SDK's own retries too).
RELEASE_TRIES = 5
RELEASE_WAIT = 0.5  # seconds before the first retry, doubling, at most 4 s


def lease_owner(run_id: str, tenant_id: str) -> str:
    """`runId/tenantId/attempt`: one delivery of a run's tenant message. A delivery of the same run and
    tenant proves an earlier one ended (the host redelivers only a message no worker holds any more)."""
    return f"{run_id}/{tenant_id}/{secrets.token_hex(4)}"


async def sync_tenant(app: App, message: TenantMessage) -> TenantResult | None:
    """Sync one tenant for one run. Transient failures raise, so the host retries and at the last try
    moves the message to the poison queue; a tenant that cannot be synced at all is recorded failed.
    Returns None when there was nothing to do (a duplicate delivery, or the tenant is busy)."""
    run = await app.runs.get(message.run_id, live=False)
    if run is None:
        log.warning("message for unknown run %s dropped", message.run_id)
        return None
    current = await app.runs.tenant_result(run.run_id, message.tenant_id)
    if current is None:
        log.warning("run %s has no tenant %s; message dropped", run.run_id, message.tenant_id)
        return None
    if current.status in FINAL:
        # Delivered again: an earlier delivery finished this tenant. If it died before the run was
        # completed, or before it released the tenant's lease, finish that now (issue 13).
        live = await app.runs.get(run.run_id)
        if live is not None:
            await settle_run(app, live)
        await _release_stale(app, run.run_id, message.tenant_id)
        return None
    owner = lease_owner(run.run_id, message.tenant_id)
    if not await _take_lease(app, run, message.tenant_id, owner):
        # Another worker has this tenant (R7.5): come back later rather than run two at once.
        await app.queue.send([message], delay_seconds=BUSY_RETRY_SECONDS)
        log.info("tenant %s busy; run %s retries in %ds", message.tenant_id, run.run_id, BUSY_RETRY_SECONDS)
        return None
    try:
        return await _sync_leased(app, run, current)
    except Exception as exc:
        # Keep what went wrong on the tenant's row, so the poison handler can say it; then let the host retry.
        await _note_error(app, run.run_id, message.tenant_id, f"{type(exc).__name__}: {exc}")
        raise
    finally:
        await _release(app, message.tenant_id, owner)


async def _take_lease(app: App, run: RunRecord, tenant_id: str, owner: str) -> bool:
    """The tenant's lease, or False when a live worker holds it. A lease whose owner is provably gone
    is taken over at once instead of blocking the tenant until it lapses: an earlier delivery of this
    run's message, or a delivery of another run whose tenant row is final (it only failed to release)."""
    now = app.clock()
    if await app.leases.acquire(tenant_id, owner, now, LEASE_TTL):
        return True
    holder = await app.leases.holder(tenant_id)
    if holder is None:
        return await app.leases.acquire(tenant_id, owner, now, LEASE_TTL)  # released meanwhile
    if not await _owner_gone(app, holder, run.run_id, tenant_id):
        return False
    log.info("tenant %s: lease of %s is stale (that delivery ended); taken over by %s", tenant_id, holder, owner)
    return await app.leases.acquire(tenant_id, owner, now, LEASE_TTL, take_over=holder)


async def _release_stale(app: App, run_id: str, tenant_id: str) -> None:
    """Release the lease an earlier delivery of this run's message left behind (it died holding it)."""
    holder = await app.leases.holder(tenant_id)
    if holder is not None and holder.startswith(f"{run_id}/{tenant_id}/"):
        await _release(app, tenant_id, holder)


async def _owner_gone(app: App, holder: str, run_id: str, tenant_id: str) -> bool:
    parts = holder.split("/")
    if len(parts) != 3 or parts[1] != tenant_id:
        return False  # not a tenant worker's lease (an operator's resolution holds it briefly)
    if parts[0] == run_id:
        return True
    row = await app.runs.tenant_result(parts[0], tenant_id)
    return row is not None and row.status in FINAL


async def _note_error(app: App, run_id: str, tenant_id: str, error: str) -> None:
    """The error on the tenant's current row, under its ETag, never over a final row (one a finishing
    step of this try already counted). Best effort: storage may be what failed."""

    def noted(row: TenantResult) -> TenantResult | None:
        return None if row.status in FINAL else row.model_copy(update={"error": error[:2000]})

    try:
        await app.runs.update_tenant(run_id, tenant_id, noted)
    except StorageError as exc:
        log.warning("tenant %s in run %s: error not noted (%s): %s", tenant_id, run_id, exc, error)


async def _release(app: App, tenant_id: str, owner: str) -> None:
    """Release the lease, retried through a storage blip. Still failing, the lease stays: a redelivery
    of this run takes it over, another run's worker once it sees this tenant final (`_take_lease`)."""
    try:
        async for attempt in AsyncRetrying(
            stop=stop_after_attempt(RELEASE_TRIES),
            wait=wait_exponential(multiplier=RELEASE_WAIT, max=4),
            retry=retry_if_exception_type(StorageError),
            reraise=True,
        ):
            with attempt:
                await app.leases.release(tenant_id, owner)
    except StorageError as exc:
        log.warning("tenant %s: lease %s not released (%s); it is taken over or lapses", tenant_id, owner, exc)


async def _sync_leased(app: App, run: RunRecord, current: TenantResult) -> TenantResult:
    tenant_id = current.tenant_id
    started = app.clock()
    mapping = await app.mappings.get(tenant_id)
    if mapping is None or mapping.status is not MappingStatus.CONFIRMED or not mapping.client_id:
        await fail_tenant(app, run.run_id, tenant_id, "the tenant is no longer mapped to a client")
        return current.model_copy(update={"status": TenantStatus.FAILED})
    settings = await app.sync_settings.effective(tenant_id, run=run)
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
        # Retrying cannot help (no consent, a missing role or licence, a refused id or credential):
        # record it now instead of after five tries.
        await fail_tenant(app, run.run_id, tenant_id, str(exc))
        return current.model_copy(update={"status": TenantStatus.FAILED, "error": str(exc)})
    except GraphError:
        raise  # throttled past the retries, 5xx, network: let the host retry the message
