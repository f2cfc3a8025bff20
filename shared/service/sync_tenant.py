"""The tenant worker: one queue message, one tenant, one lease (SYNC_RULES R2-R7).

Each tenant's pass is full or incremental (delta):

* **Full**: every user from `/users` (with sign-in activity on P1 tenants), the licence, MFA and
  Secure Score reads, and the client's contacts; a user linked but missing is deleted (R5.2). Taken
  on `initial` runs, on runs a person or the PSA asked for, when there is no delta link, when Graph
  no longer knows it (410), when the mapping or the sync settings changed, when group filters are
  set (membership changes are not in the users' delta), while the safety brake holds the tenant, and
  once every FULL_SYNC_INTERVAL_HOURS (to catch what delta misses: sign-ins, MFA, PSA-side edits).
  It starts a new delta link (`$deltatoken=latest`, read before the users).
* **Delta** (the hourly timer's runs otherwise): `/users/delta` from the stored link. Each delta
  object is merged onto the user's snapshot (the last values seen, kept per tenant in SyncState), so
  the planner gets whole users, the same as a full pass would give it for those users; only they are
  planned (`complete=False`: a user is deleted only when `@removed`). Sign-in and MFA facts keep
  their current values and client facts wait for the next full pass. Users the PSA refused last time
  are planned again. A pass with no change reads nothing from the PSA and writes nothing but its run
  rows: its result says "incremental: no changes" and lists no users.

The delta link, the snapshot and the rest of the cursor are saved after the plan is applied (never by
a dry run), in one transaction per 100 rows with the cursor last: a worker killed before that replays
the same changes, which the apply's idempotence absorbs.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from shared.errors import DeltaExpired, GraphError, GraphForbidden, TenantNotConsented
from shared.models import (
    Counts,
    EntraUser,
    MappingStatus,
    Outcome,
    RunRecord,
    RunType,
    SyncSettings,
    TenantResult,
    TenantStatus,
    UserOutcome,
)
from shared.service.app import App
from shared.service.apply import apply_plan
from shared.service.runs import FINAL, fail_tenant, record_tenant_result
from shared.service.tenant_facts import record_tenant_facts
from shared.service.tenant_reads import latest_delta_url, merge_changes, read_full_pass
from shared.store.queue import TenantMessage
from shared.store.sync_state import DeltaCursor, UserSnapshot, buckets_for
from shared.sync.facts import FactsInputs
from shared.sync.inputs import TenantInputs
from shared.sync.plan import TenantPlan
from shared.sync.planner import plan_tenant

__all__ = ["LEASE_TTL", "full_pass_reason", "sync_tenant"]

log = logging.getLogger(__name__)

LEASE_TTL = timedelta(minutes=10)  # the function timeout: a killed worker's lease lapses by then
BUSY_RETRY_SECONDS = 30
P1_RECHECK = timedelta(days=7)  # a tenant without Entra ID P1 is asked again this often
NO_CHANGES = "incremental: no changes"


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


@dataclass(frozen=True)
class _Pass:
    """What one tenant's pass works with, read before it chooses full or delta."""

    run: RunRecord
    current: TenantResult
    client_id: str
    settings: SyncSettings
    cursor: DeltaCursor | None
    started: datetime

    @property
    def tenant_id(self) -> str:
        return self.current.tenant_id


async def _sync_leased(app: App, run: RunRecord, current: TenantResult) -> TenantResult:
    tenant_id = current.tenant_id
    started = app.clock()
    mapping = await app.mappings.get(tenant_id)
    if mapping is None or mapping.status is not MappingStatus.CONFIRMED or not mapping.client_id:
        await fail_tenant(app, run.run_id, tenant_id, "the tenant is no longer mapped to a client")
        return current.model_copy(update={"status": TenantStatus.FAILED})
    settings = await app.sync_settings.effective(tenant_id)
    work = _Pass(run, current, mapping.client_id, settings, await app.cursors.get(tenant_id), started)
    why = full_pass_reason(
        run, work.cursor, work.client_id, settings, started, timedelta(hours=app.settings.full_sync_interval_hours)
    )
    try:
        if why is None:
            try:
                return await _delta_pass(app, work)
            except DeltaExpired:
                log.info("tenant %s: the delta link expired; full pass", tenant_id)
                why = "the delta link expired"
        return await _full_pass(app, work, why)
    except (TenantNotConsented, GraphForbidden) as exc:
        # Retrying cannot help: record it now instead of after five tries.
        await fail_tenant(app, run.run_id, tenant_id, str(exc))
        return current.model_copy(update={"status": TenantStatus.FAILED, "error": str(exc)})
    except GraphError:
        raise  # throttled past the retries, 5xx, network: let the host retry the message


def full_pass_reason(
    run: RunRecord,
    cursor: DeltaCursor | None,
    client_id: str,
    settings: SyncSettings,
    now: datetime,
    interval: timedelta,
) -> str | None:
    """Why this tenant's pass must be a full one, or None for a delta pass."""
    if run.type is RunType.INITIAL:
        return "initial run"
    if not run.incremental:
        return f"{run.trigger.value} run asked for a full pass"  # a person or the PSA asked: compare everything
    if run.brake_released:
        return "the safety brake was released"
    if cursor is None or not cursor.delta_link:
        return "no delta link yet"
    if cursor.client_id != client_id:
        return "the tenant is mapped to another client"
    if cursor.settings_hash != settings_hash(settings):
        return "the sync settings changed"
    if settings.filters.groups:
        return "group filters need every user's membership"
    if cursor.held:
        return "inactivations are held by the safety brake"
    if cursor.last_full_pass is None or now - cursor.last_full_pass >= interval:
        return f"the last full pass is {interval.total_seconds() / 3600:g} h old or more"
    return None


def settings_hash(settings: SyncSettings) -> str:
    return hashlib.sha256(settings.model_dump_json().encode()).hexdigest()[:32]


async def _full_pass(app: App, work: _Pass, why: str) -> TenantResult:
    tenant_id, cursor, dry = work.tenant_id, work.cursor, work.run.dry_run
    graph = app.graph.tenant(tenant_id)
    known_without_p1 = (
        cursor is not None
        and cursor.entra_p1 is False
        and cursor.p1_checked_at is not None
        and work.started - cursor.p1_checked_at < P1_RECHECK
    )
    reads = await read_full_pass(
        graph,
        delta_start=None if dry else latest_delta_url(app.settings.graph_base_url),
        without_p1=known_without_p1,
    )
    plan = plan_tenant(
        TenantInputs(
            tenant_id=tenant_id,
            client_id=work.client_id,
            users=reads.users,
            complete=True,
            contacts=await app.psa.list_contacts(work.client_id),
            links=await app.links.for_tenant(tenant_id),
            ambiguities=await app.ambiguities.for_tenant(tenant_id),
            settings=work.settings,
            group_members=await _group_members(app, tenant_id, work.settings.filters.groups),
            facts=reads.facts,
            brake_released=work.run.brake_released,
        )
    )
    outcomes, writes = await _apply(app, work, plan)
    if not dry:
        await record_tenant_facts(app, tenant_id, work.client_id, reads)
        buckets = cursor.buckets if cursor is not None and _fits(cursor.buckets, len(reads.users)) else None
        snapshot = UserSnapshot.of(reads.users, await app.cursors.snapshot_hashes(tenant_id), buckets)
        p1_checked = work.started if reads.p1_asked else (cursor.p1_checked_at if cursor else None)
        await app.cursors.save(
            tenant_id,
            DeltaCursor(
                delta_link=reads.delta_link,
                last_full_pass=work.started,
                client_id=work.client_id,
                settings_hash=settings_hash(work.settings),
                entra_p1=reads.facts.entra_p1,
                p1_checked_at=p1_checked,
                sku_part_numbers=reads.facts.sku_part_numbers,
                retry=_failed(outcomes),
                held=plan.held,
            ),
            snapshot,
        )
    return await _finish(app, work, plan, outcomes, writes, "full", [*reads.notes, f"full pass: {why}"])


async def _delta_pass(app: App, work: _Pass) -> TenantResult:
    tenant_id, cursor, dry = work.tenant_id, work.cursor, work.run.dry_run
    assert cursor is not None and cursor.delta_link
    graph = app.graph.tenant(tenant_id)
    delta = await graph.users_delta(cursor.delta_link)  # DeltaExpired (410) from here means a full pass
    if not delta.users and not cursor.retry:
        # Nothing changed since the stored link, which stays (it still returns exactly what changes
        # from here on). No PSA read, no write but the run's own rows.
        return await _finish(app, work, None, [], 0, "delta", [NO_CHANGES])
    snapshot = await app.cursors.load_snapshot(tenant_id, cursor.buckets)
    users = merge_changes(delta.users, snapshot)
    changed = {user.id for user in users}
    for user_id in cursor.retry:  # refused by the PSA last time: plan them again
        values = snapshot.get(user_id)
        if user_id not in changed and values is not None:
            users.append(EntraUser.model_validate(values))
    skus = dict(cursor.sku_part_numbers)
    if any(lic.sku_id not in skus for user in users for lic in user.assigned_licenses):
        skus = {s.sku_id: s.sku_part_number or s.sku_id for s in await graph.subscribed_skus()}
    facts = FactsInputs(sku_part_numbers=skus, entra_p1=cursor.entra_p1 is not False, mfa=None, sign_in_read=False)
    plan = plan_tenant(
        TenantInputs(
            tenant_id=tenant_id,
            client_id=work.client_id,
            users=users,
            complete=False,
            contacts=await app.psa.list_contacts(work.client_id),
            links=await app.links.for_tenant(tenant_id),
            ambiguities=await app.ambiguities.for_tenant(tenant_id),
            settings=work.settings,
            facts=facts,
            brake_released=work.run.brake_released,
        )
    )
    outcomes, writes = await _apply(app, work, plan)
    if not dry:
        update = {"delta_link": delta.delta_link, "sku_part_numbers": skus, "retry": _failed(outcomes)}
        await app.cursors.save(tenant_id, cursor.model_copy(update=update | {"held": plan.held}), snapshot)
    note = f"incremental: {len(delta.users)} change(s) from Graph"
    return await _finish(app, work, plan, outcomes, writes, "delta", [note])


async def _apply(app: App, work: _Pass, plan: TenantPlan) -> tuple[list[UserOutcome], int]:
    if work.run.dry_run:
        return plan.outcomes(), plan.writes
    applied = await apply_plan(app, plan)
    held_before = work.cursor.held if work.cursor is not None else None
    if plan.held or held_before is not False:
        await app.brakes.set(work.tenant_id, work.run.run_id, plan.held)
    return applied.outcomes, applied.psa_writes


async def _finish(
    app: App,
    work: _Pass,
    plan: TenantPlan | None,
    outcomes: list[UserOutcome],
    writes: int,
    kind: str,
    notes: list[str],
) -> TenantResult:
    held = plan is not None and plan.held
    result = work.current.model_copy(
        update={
            "client_id": work.client_id,
            "status": TenantStatus.HELD if held else TenantStatus.SUCCEEDED,
            "error": None,
            "counts": Counts.of(outcomes),
            "notes": notes,
            "pass_kind": kind,
            "psa_writes": writes,
            "started_at": work.started,
            "completed_at": app.clock(),
        }
    )
    await record_tenant_result(app, work.run.run_id, result, outcomes)
    log.info("tenant %s in run %s (%s pass): %s", work.tenant_id, work.run.run_id, kind, result.counts.model_dump())
    return result


def _failed(outcomes: list[UserOutcome]) -> list[str]:
    return sorted(o.user_id for o in outcomes if o.outcome is Outcome.FAILED)


def _fits(buckets: int, users: int) -> bool:
    """Keep the snapshot's row count while it stays within a factor of two of the ideal one."""
    ideal = buckets_for(users)
    return buckets > 0 and ideal <= 2 * buckets and buckets <= 2 * ideal


async def _group_members(app: App, tenant_id: str, group_ids: list[str] | None) -> dict[str, set[str]]:
    if not group_ids:
        return {}
    graph = app.graph.tenant(tenant_id)
    return {gid: await graph.group_member_ids(gid) for gid in group_ids}
