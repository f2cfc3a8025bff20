"""A tenant's full pass: every user from `/users` (with sign-in activity on P1 tenants), the licence,
MFA and Secure Score reads, and the client's contacts; a user linked but missing is deleted (R5.2).
It starts a new delta link (`$deltatoken=latest`, read before the users), writes the client's
Microsoft 365 facts and a fresh user snapshot. When a pass is full is `shared.sync.pass_policy`."""

from __future__ import annotations

from shared.models import TenantResult
from shared.service.app import App
from shared.service.tenant_facts import record_tenant_facts
from shared.service.tenant_pass import TenantPass, apply_pass, finish_pass, plan_pass, save_cursor
from shared.service.tenant_reads import latest_delta_url, read_full_pass
from shared.sync.pass_policy import cursor_after_full_pass, known_without_p1, snapshot_buckets
from shared.sync.snapshot import UserSnapshot

__all__ = ["full_pass"]


async def full_pass(app: App, work: TenantPass, why: str) -> TenantResult:
    """Read → plan → apply → (facts, snapshot, cursor) → finish; `why` goes into the result's notes."""
    tenant_id = work.tenant_id
    graph = app.graph.tenant(tenant_id)
    reads = await read_full_pass(
        graph,
        delta_start=None if work.dry_run else latest_delta_url(app.settings.graph_base_url),
        without_p1=known_without_p1(work.cursor, work.started),
    )
    groups = work.settings.filters.groups or []
    members = {gid: await graph.group_member_ids(gid) for gid in groups}
    plan = await plan_pass(app, work, reads.users, complete=True, facts=reads.facts, group_members=members)
    outcomes, writes = await apply_pass(app, work, plan)
    notes = [*reads.notes, f"full pass: {why}"]
    if not work.dry_run:
        notes += await record_tenant_facts(app, tenant_id, work.client_id, reads)
        # A tenant without a cursor has no snapshot worth comparing with: every row is written anyway
        # (a query a first pass does not make; rows left from before are overwritten or ignored).
        stored = await app.cursors.snapshot_hashes(tenant_id) if work.cursor is not None else {}
        snapshot = UserSnapshot.of(reads.users, stored, snapshot_buckets(work.cursor, len(reads.users)))
        cursor = cursor_after_full_pass(
            work.cursor,
            delta_link=reads.delta_link,
            started=work.started,
            client_id=work.client_id,
            settings=work.settings,
            facts=reads.facts,
            p1_asked=reads.p1_asked,
        )
        await save_cursor(app, work, cursor, snapshot, plan, outcomes)
    return await finish_pass(app, work, plan, outcomes, writes, "full", notes)
