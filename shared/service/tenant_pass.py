"""The steps every tenant pass shares, full or delta: plan (the planner's inputs built in this one
place), apply, save the cursor, finish (the tenant's result into the run)."""

from __future__ import annotations

import logging
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from shared.models import (
    Counts,
    DeltaCursor,
    EntraUser,
    Outcome,
    RunRecord,
    SyncSettings,
    TenantResult,
    TenantStatus,
    UserOutcome,
)
from shared.models.runs import AttemptUser
from shared.psa.port import take_psa_notes
from shared.service.app import App
from shared.service.apply import apply_plan
from shared.service.runs import FINAL, finish_tenant
from shared.sync.attempts import intent, merged, relinked, settle
from shared.sync.facts import FactsInputs
from shared.sync.inputs import TenantInputs
from shared.sync.pass_policy import settled_cursor
from shared.sync.plan import TenantPlan
from shared.sync.planner import plan_tenant
from shared.sync.snapshot import UserSnapshot

__all__ = ["TenantPass", "apply_pass", "finish_pass", "plan_pass", "save_cursor"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TenantPass:
    """What one tenant's pass works with, read before the policy chose full or delta."""

    run: RunRecord
    current: TenantResult
    client_id: str
    settings: SyncSettings
    cursor: DeltaCursor | None
    started: datetime

    @property
    def tenant_id(self) -> str:
        return self.current.tenant_id

    @property
    def dry_run(self) -> bool:
        return self.run.dry_run


async def plan_pass(
    app: App,
    work: TenantPass,
    users: Sequence[EntraUser],
    *,
    complete: bool,
    facts: FactsInputs,
    group_members: Mapping[str, Collection[str]] | None = None,
) -> TenantPlan:
    """Plan `users` against the client's contacts and the tenant's links and ambiguities, read now."""
    return plan_tenant(
        TenantInputs(
            tenant_id=work.tenant_id,
            client_id=work.client_id,
            users=users,
            complete=complete,
            contacts=await app.psa.list_contacts(work.client_id),
            capabilities=app.psa.capabilities,  # after the list: a connector may learn what it holds there
            links=await app.links.for_tenant(work.tenant_id),
            ambiguities=await app.ambiguities.for_tenant(work.tenant_id),
            settings=work.settings,
            group_members=group_members or {},
            facts=facts,
            brake_released=work.run.brake_released,
        )
    )


async def apply_pass(app: App, work: TenantPass, plan: TenantPlan | None) -> tuple[list[UserOutcome], int]:
    """Apply the plan (None: a pass with nothing to plan); returns the outcomes and PSA writes of the
    run for the tenant: this try's, with what earlier tries of the run landed merged in
    (`shared.sync.attempts`: a contact a failed try created is `created`, its write counted once).
    Before this try writes, it records what it is about to write, so whatever point it dies at, the
    next try can tell what landed. A dry run applies nothing and reports the plan's own outcomes and
    the writes it would make."""
    if work.dry_run:
        return (plan.outcomes(), plan.writes) if plan is not None else ([], 0)
    settled = await _earlier_tries(app, work, plan)
    if plan is None:
        outcomes, earlier_writes = merged(settled, [])
        return await _with_contact_ids(app, work, outcomes), earlier_writes
    plan = relinked(plan, settled)
    ledger = intent(settled, plan)
    if any(entry.pending for entry in ledger):
        first = await _begin_writing(app, work)
        await app.runs.save_attempt(work.run.run_id, work.tenant_id, ledger, first=first)
    applied = await apply_plan(app, plan)
    outcomes, earlier_writes = merged(settled, applied.outcomes)
    return await _with_contact_ids(app, work, outcomes), applied.psa_writes + earlier_writes


async def _with_contact_ids(app: App, work: TenantPass, outcomes: list[UserOutcome]) -> list[UserOutcome]:
    """The contact an earlier try created for a user this try did not plan: its link has it (the
    earlier try's apply got as far as the links, or this try would have planned the user again)."""
    missing = [o.user_id for o in outcomes if o.outcome is Outcome.CREATED and o.contact_id is None]
    if not missing:
        return outcomes
    links = {link.user_id: link.contact_id for link in await app.links.for_tenant(work.tenant_id)}
    return [o.model_copy(update={"contact_id": links.get(o.user_id)}) if o.user_id in missing else o for o in outcomes]


async def _earlier_tries(app: App, work: TenantPass, plan: TenantPlan | None) -> dict[str, AttemptUser]:
    """What the run's earlier tries of this tenant did, settled against this plan; nothing to read
    when no earlier try began writing (the tenant row counts them)."""
    if not work.current.attempts:
        return {}
    prior = await app.runs.attempt(work.run.run_id, work.tenant_id)
    if prior:
        log.info(
            "tenant %s in run %s: merging what earlier tries did for %d users",
            work.tenant_id,
            work.run.run_id,
            len(prior),
        )
    return settle(prior, plan)


async def _begin_writing(app: App, work: TenantPass) -> bool:
    """Count this try on the tenant's row before its intent is recorded (a later try then reads it).
    True when it is the run's first try of the tenant to write (read under the row's ETag, with the
    tenant's lease held: no other try can be writing)."""

    def begun(row: TenantResult) -> TenantResult | None:
        return None if row.status in FINAL else row.model_copy(update={"attempts": row.attempts + 1})

    stored = await app.runs.update_tenant(work.run.run_id, work.tenant_id, begun)
    return stored is not None and stored.status not in FINAL and stored.attempts == 1


async def save_cursor(
    app: App,
    work: TenantPass,
    cursor: DeltaCursor,
    snapshot: UserSnapshot,
    plan: TenantPlan,
    outcomes: list[UserOutcome],
) -> None:
    """Save what an applied pass leaves for the next one: `cursor` with the users to retry and the
    brake's hold (`settled_cursor`), after the snapshot rows that changed. Never called by a dry run."""
    settled = settled_cursor(cursor, run_id=work.run.run_id, held=plan.held, outcomes=outcomes)
    await app.cursors.save(work.tenant_id, settled, snapshot)


async def finish_pass(
    app: App,
    work: TenantPass,
    plan: TenantPlan | None,
    outcomes: list[UserOutcome],
    writes: int,
    kind: str,
    notes: list[str],
) -> TenantResult:
    """Record the tenant's result in the run (held when the brake held the plan's inactivations)."""
    held = plan is not None and plan.held
    result = work.current.model_copy(
        update={
            "client_id": work.client_id,
            "status": TenantStatus.HELD if held else TenantStatus.SUCCEEDED,
            "error": None,
            "counts": Counts.of(outcomes),
            "notes": [*notes, *take_psa_notes(app.psa, work.client_id)],
            "pass_kind": kind,
            "psa_writes": writes,
            "started_at": work.started,
            "completed_at": app.clock(),
        }
    )
    await finish_tenant(app, work.run.run_id, result, outcomes)
    log.info("tenant %s in run %s (%s pass): %s", work.tenant_id, work.run.run_id, kind, result.counts.model_dump())
    return result
