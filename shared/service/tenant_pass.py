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
    RunRecord,
    SyncSettings,
    TenantResult,
    TenantStatus,
    UserOutcome,
)
from shared.psa.port import take_psa_notes
from shared.service.app import App
from shared.service.apply import apply_plan
from shared.service.runs import record_tenant_result
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


async def apply_pass(app: App, work: TenantPass, plan: TenantPlan) -> tuple[list[UserOutcome], int]:
    """Apply the plan; returns its outcomes and PSA writes. A dry run applies nothing and reports the
    plan's own outcomes and the writes it would make."""
    if work.dry_run:
        return plan.outcomes(), plan.writes
    applied = await apply_plan(app, plan)
    return applied.outcomes, applied.psa_writes


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
    await record_tenant_result(app, work.run.run_id, result, outcomes)
    log.info("tenant %s in run %s (%s pass): %s", work.tenant_id, work.run.run_id, kind, result.counts.model_dump())
    return result
