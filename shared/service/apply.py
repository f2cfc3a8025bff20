"""Carry out a plan against the PSA and our tables. Idempotent: the planner looks a contact up by link,
then by email, before creating, so a redelivered message or a worker killed half-way never duplicates."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from shared.bootstrap import App
from shared.errors import PsaError
from shared.models import ContactLink, Outcome, UserOutcome
from shared.sync.plan import TenantPlan, UserPlan

__all__ = ["Applied", "apply_plan", "apply_user"]

log = logging.getLogger(__name__)
_LINK_FLUSH = 100  # write links at least this often, so a crash leaves few contacts to re-link


@dataclass
class Applied:
    outcomes: list[UserOutcome] = field(default_factory=list)
    psa_writes: int = 0


async def apply_user(app: App, client_id: str, plan: UserPlan) -> tuple[UserOutcome, ContactLink | None, int]:
    """Apply one user's actions. A PSA refusal makes that user `failed` with the PSA's message (R3.5)."""
    writes = 0
    link = plan.link
    contact_id = plan.contact_id
    try:
        if plan.create is not None:
            contact = await app.psa.create_contact(client_id, plan.create.fields, entra_user_id=plan.user_id)
            writes += 1
            contact_id = contact.id
            link = plan.link_for_created(contact.id)
            if plan.facts is not None:
                await app.psa.write_contact_facts(client_id, contact.id, plan.facts)
        elif contact_id is not None:
            if plan.changes:
                await app.psa.update_contact(client_id, contact_id, plan.changes)
                writes += 1
            if plan.facts is not None:
                await app.psa.write_contact_facts(client_id, contact_id, plan.facts)
        if plan.set_active is not None and contact_id is not None:
            reason = plan.set_active.reason.value if plan.set_active.reason else None
            await app.psa.set_contact_active(client_id, contact_id, plan.set_active.active, reason)
            writes += 1
    except PsaError as exc:
        log.warning("user %s: PSA refused: %s", plan.user_id, exc)
        failed = UserOutcome(
            user_id=plan.user_id,
            outcome=Outcome.FAILED,
            reason=f"the PSA refused: {exc}",
            contact_id=contact_id,
            display_name=plan.display_name,
        )
        # A contact created before a later step failed still gets its link: never create it twice.
        return failed, link if contact_id and link is not None else None, writes
    outcome = plan.to_outcome().model_copy(update={"contact_id": contact_id})
    return outcome, link, writes


async def apply_plan(app: App, plan: TenantPlan) -> Applied:
    applied = Applied()
    pending: list[ContactLink] = []
    for user in plan.users:
        outcome, link, writes = await apply_user(app, plan.client_id, user)
        applied.outcomes.append(outcome)
        applied.psa_writes += writes
        if link is not None:
            pending.append(link)
        if user.create is not None and len(pending) >= _LINK_FLUSH:
            await app.links.save_many(pending)
            pending = []
    if pending:
        await app.links.save_many(pending)
    if plan.ambiguities:
        await app.ambiguities.save_many(plan.ambiguities)
    return applied
