"""Carry out a plan against the PSA and our tables. Idempotent: the planner looks a contact up by link,
then by email, before creating, so a redelivered message or a worker killed half-way never duplicates.

A connector with bulk calls (`BulkContacts`, e.g. the built-in directory) gets the plan's creates and
changes 100 at a time; links are written after each batch of creates, in batches of up to 100, and
only the links that changed (the plan leaves an unchanged link out)."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from shared.errors import PsaError
from shared.models import ContactLink, Outcome, UserOutcome
from shared.psa.bulk import change_contacts, create_contacts
from shared.psa.port import BulkContacts, ContactChange, NewContact
from shared.service.app import App
from shared.store.entities import BATCH_LIMIT
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
        # A contact created before a later step failed still gets its link: never create it twice.
        return _refused(plan, exc, contact_id), link if contact_id and link is not None else None, writes
    outcome = plan.to_outcome().model_copy(update={"contact_id": contact_id})
    return outcome, link, writes


async def apply_plan(app: App, plan: TenantPlan) -> Applied:
    if isinstance(app.psa, BulkContacts):
        applied = await _apply_in_bulk(app, plan)
    else:
        applied = await _apply_one_by_one(app, plan)
    if plan.ambiguities:
        await app.ambiguities.save_many(plan.ambiguities)
    return applied


async def _apply_one_by_one(app: App, plan: TenantPlan) -> Applied:
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
    return applied


async def _apply_in_bulk(app: App, plan: TenantPlan) -> Applied:
    """Creates first, 100 at a time; then changes to existing contacts, 100 at a time. Links are
    written in transactions of 100 as they accumulate (so a worker killed half-way leaves at most 100
    new contacts unlinked, which the next pass links again by the Entra id their PSA record names),
    and the rest at the end with the links of users without PSA work (new links, lifecycle flags)."""
    outcomes: dict[str, UserOutcome] = {}
    links: list[ContactLink] = []
    writes = 0

    async def flush(at_least: int) -> None:
        nonlocal links
        if links and len(links) >= at_least:
            await app.links.save_many(links)
            links = []

    creates = [u for u in plan.users if u.create is not None]
    changes = [u for u in plan.users if u.create is None and u.contact_id is not None and _has_change(u)]
    for start in range(0, len(creates), BATCH_LIMIT):
        chunk = creates[start : start + BATCH_LIMIT]
        new = [NewContact(u.user_id, u.create.fields, u.facts) for u in chunk if u.create is not None]
        for user, result in zip(chunk, await create_contacts(app.psa, plan.client_id, new), strict=True):
            if isinstance(result, PsaError):
                outcomes[user.user_id] = _refused(user, result, None)
                continue
            writes += 1
            links.append(user.link_for_created(result.id))
            outcomes[user.user_id] = user.to_outcome().model_copy(update={"contact_id": result.id})
        await flush(BATCH_LIMIT)
    for start in range(0, len(changes), BATCH_LIMIT):
        chunk = changes[start : start + BATCH_LIMIT]
        items = [_change_of(u) for u in chunk]
        for user, error in zip(chunk, await change_contacts(app.psa, plan.client_id, items), strict=True):
            if error is not None:
                outcomes[user.user_id] = _refused(user, error, user.contact_id)
            else:
                writes += bool(user.changes) + (user.set_active is not None)
                outcomes[user.user_id] = user.to_outcome()
            if user.link is not None:
                links.append(user.link)
        await flush(BATCH_LIMIT)
    for user in plan.users:
        if user.user_id not in outcomes:
            outcomes[user.user_id] = user.to_outcome()
            if user.link is not None and user.create is None:
                links.append(user.link)
    await flush(1)
    return Applied(outcomes=[outcomes[u.user_id] for u in plan.users], psa_writes=writes)


def _has_change(plan: UserPlan) -> bool:
    return bool(plan.changes) or plan.facts is not None or plan.set_active is not None


def _change_of(plan: UserPlan) -> ContactChange:
    assert plan.contact_id is not None
    active = plan.set_active
    return ContactChange(
        contact_id=plan.contact_id,
        changes=plan.changes,
        facts=plan.facts,
        active=active.active if active is not None else None,
        inactive_reason=active.reason.value if active is not None and active.reason is not None else None,
    )


def _refused(plan: UserPlan, exc: PsaError, contact_id: str | None) -> UserOutcome:
    """R3.5: the PSA's refusal fails this user only, with the PSA's message."""
    log.warning("user %s: PSA refused: %s", plan.user_id, exc)
    return UserOutcome(
        user_id=plan.user_id,
        outcome=Outcome.FAILED,
        reason=f"the PSA refused: {exc}",
        contact_id=contact_id,
        display_name=plan.display_name,
    )
