"""A tenant's delta (incremental) pass: `/users/delta` from the stored link.

Each delta object is merged onto the user's snapshot (the last values seen, kept per tenant in
SyncState), so the planner gets whole users, the same as a full pass would give it for those users;
only they are planned (`complete=False`: a user is deleted only when `@removed`). Sign-in and MFA
facts keep their current values and client facts wait for the next full pass. Users the PSA refused
last time are planned again. A pass with no change reads nothing from the PSA and writes nothing but
its run rows: its result says `NO_CHANGES` and lists no users.
"""

from __future__ import annotations

from shared.models import TenantResult
from shared.service.app import App
from shared.service.tenant_pass import TenantPass, apply_pass, finish_pass, plan_pass, save_cursor
from shared.sync.pass_policy import cursor_after_delta_pass, delta_facts, needs_sku_names
from shared.sync.snapshot import delta_users

__all__ = ["NO_CHANGES", "delta_pass"]

NO_CHANGES = "incremental: no changes"


async def delta_pass(app: App, work: TenantPass) -> TenantResult:
    """Read → plan → apply → save cursor → finish. Raises DeltaExpired (410) when Graph no longer
    knows the stored link: the caller then takes a full pass."""
    cursor = work.cursor
    assert cursor is not None and cursor.delta_link  # the policy gives a delta pass only then
    graph = app.graph.tenant(work.tenant_id)
    delta = await graph.users_delta(cursor.delta_link)
    if not delta.users and not cursor.retry:
        # Nothing changed since the stored link, which stays (it still returns exactly what changes
        # from here on). No PSA read, no write but the run's own rows; what an earlier try of the run
        # applied before it moved the link is still reported (apply_pass).
        outcomes, writes = await apply_pass(app, work, None)
        return await finish_pass(app, work, None, outcomes, writes, "delta", [NO_CHANGES])
    snapshot = await app.cursors.load_snapshot(work.tenant_id, cursor.buckets)
    users = delta_users(delta.users, snapshot, cursor.retry)
    skus = dict(cursor.sku_part_numbers)
    if needs_sku_names(users, skus):
        skus = {s.sku_id: s.sku_part_number or s.sku_id for s in await graph.subscribed_skus()}
    plan = await plan_pass(app, work, users, complete=False, facts=delta_facts(cursor, skus))
    outcomes, writes = await apply_pass(app, work, plan)
    if not work.dry_run:
        moved = cursor_after_delta_pass(cursor, delta_link=delta.delta_link, sku_part_numbers=skus)
        await save_cursor(app, work, moved, snapshot, plan, outcomes)
    note = f"incremental: {len(delta.users)} change(s) from Graph"
    return await finish_pass(app, work, plan, outcomes, writes, "delta", [note])
