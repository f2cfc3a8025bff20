"""Carry out a plan against the PSA and the link table (R3.5, R4, R5, R8.7).

Two ways, one meaning. A connector whose capabilities say `bulk` (it implements `BulkContacts`, like
the built-in directory) gets the plan's creates and changes up to 100 contacts a call; any other (a
REST PSA: one HTTP call per contact and action) gets one call per contact and action. On the same plan
both give the same outcomes, the same PSA write count and the same links:

* A create, field update or activation the PSA refuses (`PsaRefused`, or a bare `PsaError` from an
  older adapter) fails that user with the PSA's message (R3.5); the other users go on. A failed user's
  link is not written, so the next pass plans the same actions again; the link of a contact created in
  this attempt is, always (never create it twice).
* Microsoft facts (R4.4) are written apart from the contact's fields: a refused facts write leaves the
  user's outcome as it is, with a note in its reason; the facts still differ, so a later full pass
  writes them.
* `PsaUnavailable` (throttled past the retries, an outage) fails no user: it propagates so the host
  retries the tenant, once the links of the users done so far, the contacts created in this attempt
  among them, are saved. The redelivery finds those contacts by link, and any other contact this
  attempt made by the Entra id the PSA records or by email (the planner looks there before creating).

`psa_writes` counts the creates, updates and activations the PSA took (facts are not counted, R4.4).
One by one, the calls made before a refusal stand; a bulk item is taken or refused whole.
Links are saved in batches of up to 100 as they accumulate, and only the links that changed.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TypeVar

from shared.errors import PsaError, PsaUnavailable
from shared.models import ContactLink, Outcome, UserOutcome
from shared.psa.port import BulkContacts, ContactChange, ContactDirectory, NewContact, PsaConnector
from shared.service.app import App
from shared.service.ports import LinkStore
from shared.sync.plan import TenantPlan, UserPlan

__all__ = ["BULK_CHUNK", "FACTS_NOT_WRITTEN", "Applied", "apply_plan", "apply_user"]

log = logging.getLogger(__name__)

BULK_CHUNK = 100  # contacts per bulk call
_LINK_FLUSH = 100  # save links at least this often, so a crash leaves few contacts to re-link
FACTS_NOT_WRITTEN = "Microsoft facts not written (the PSA refused them); a later pass writes them"
_T = TypeVar("_T")


@dataclass
class Applied:
    outcomes: list[UserOutcome] = field(default_factory=list)  # one per planned user, in plan order
    psa_writes: int = 0


async def apply_plan(app: App, plan: TenantPlan) -> Applied:
    """Apply a tenant's plan, in bulk when the PSA offers it, and save its links and ambiguities.

    Raises `PsaUnavailable` (after saving the links of the users done) when the PSA is unreachable."""
    links = _Links(app.links)
    try:
        if app.psa.capabilities.bulk:
            applied = await _apply_in_bulk(_bulk_of(app.psa), plan, links)
        else:
            applied = await _apply_one_by_one(app.psa, plan, links)
    except PsaUnavailable:
        await links.flush()
        raise
    await links.flush()
    if plan.ambiguities:
        await app.ambiguities.save_many(plan.ambiguities)
    return applied


async def apply_user(app: App, client_id: str, plan: UserPlan) -> tuple[UserOutcome, ContactLink | None, int]:
    """One user's plan, one call per action (an operator's resolution, R6.2): its outcome, the link
    for the caller to save (None when none changed, or the user failed) and the PSA writes.

    A `PsaUnavailable` after the create saves the new contact's link itself, then propagates."""
    links = _Links(app.links)
    try:
        outcome, writes = await _apply_user(app.psa, client_id, plan, links)
    except PsaUnavailable:
        await links.flush()
        raise
    pending = links.take()
    return outcome, pending[-1] if pending else None, writes


class _Links:
    """Links waiting to be saved (one tenant's)."""

    def __init__(self, store: LinkStore) -> None:
        self._store = store
        self._pending: list[ContactLink] = []

    def add(self, link: ContactLink) -> None:
        self._pending.append(link)

    def take(self) -> list[ContactLink]:
        pending, self._pending = self._pending, []
        return pending

    async def flush(self, at_least: int = 1) -> None:
        if self._pending and len(self._pending) >= at_least:
            await self._store.save_many(self.take())


def _bulk_of(psa: PsaConnector) -> BulkContacts:
    if not isinstance(psa, BulkContacts):
        raise TypeError(f"{type(psa).__name__} says it has bulk calls (capabilities.bulk) but has none")
    return psa


async def _apply_one_by_one(psa: ContactDirectory, plan: TenantPlan, links: _Links) -> Applied:
    applied = Applied()
    for user in plan.users:
        outcome, writes = await _apply_user(psa, plan.client_id, user, links)
        applied.outcomes.append(outcome)
        applied.psa_writes += writes
        await links.flush(_LINK_FLUSH)
    return applied


async def _apply_user(psa: ContactDirectory, client_id: str, plan: UserPlan, links: _Links) -> tuple[UserOutcome, int]:
    """The create, or the update then the activation; then the facts, on any contact there is."""
    writes = 0
    contact_id = plan.contact_id
    refused: PsaError | None = None
    try:
        if plan.create is not None:
            contact = await psa.create_contact(client_id, plan.create.fields, entra_user_id=plan.user_id)
            writes += 1
            contact_id = contact.id
            links.add(plan.link_for_created(contact.id))  # at once: whatever fails next, it is linked
        elif contact_id is not None:
            if plan.changes:
                await psa.update_contact(client_id, contact_id, plan.changes)
                writes += 1
            if plan.set_active is not None:
                reason = plan.set_active.reason.value if plan.set_active.reason else None
                await psa.set_contact_active(client_id, contact_id, plan.set_active.active, reason)
                writes += 1
    except PsaUnavailable:
        raise
    except PsaError as exc:
        refused = exc
    facts_refused: PsaError | None = None
    if plan.facts is not None and contact_id is not None:
        try:
            await psa.write_contact_facts(client_id, contact_id, plan.facts)
        except PsaUnavailable:
            raise
        except PsaError as exc:
            facts_refused = exc
    if refused is None and plan.create is None and plan.link is not None:
        links.add(plan.link)
    return _outcome(plan, contact_id, refused, facts_refused), writes


async def _apply_in_bulk(psa: BulkContacts, plan: TenantPlan, links: _Links) -> Applied:
    """Creates first, then changes to existing contacts, up to BULK_CHUNK contacts a call; then the
    users with no PSA work (their links: new links, lifecycle flags)."""
    done: dict[str, tuple[UserOutcome, int]] = {}
    creates = [u for u in plan.users if u.create is not None]
    for chunk in _chunks(creates):
        new = [NewContact(u.user_id, u.create.fields, u.facts) for u in chunk if u.create is not None]
        results = _checked(await psa.create_contacts(plan.client_id, new), len(new))
        for user, result in zip(chunk, results, strict=True):
            if isinstance(result, PsaUnavailable):
                continue  # raised below, once the others are recorded
            if isinstance(result, PsaError):
                done[user.user_id] = (_outcome(user, None, result, None), 0)
                continue
            links.add(user.link_for_created(result.id))
            # The PSA took the contact but not its facts: it returns no facts on it.
            kept = user.facts is None or result.microsoft is not None
            facts_refused = None if kept else PsaError("the contact was created without its facts")
            done[user.user_id] = (_outcome(user, result.id, None, facts_refused), 1)
        _raise_unavailable(results)
        await links.flush(_LINK_FLUSH)
    changes = [u for u in plan.users if u.create is None and u.contact_id is not None and _has_work(u)]
    for chunk in _chunks(changes):
        items: list[ContactChange] = []
        slots: list[tuple[int | None, int | None]] = []  # per user: its change item, its facts item
        for user in chunk:
            slots.append((_add(items, _change_of(user)), _add(items, _facts_of(user))))
        outcomes = _checked(await psa.change_contacts(plan.client_id, items), len(items))
        for user, (change_at, facts_at) in zip(chunk, slots, strict=True):
            refused = outcomes[change_at] if change_at is not None else None
            facts_refused = outcomes[facts_at] if facts_at is not None else None
            if isinstance(refused, PsaUnavailable) or isinstance(facts_refused, PsaUnavailable):
                continue
            writes = 0
            if refused is None:
                writes = bool(user.changes) + (user.set_active is not None)
                if user.link is not None:
                    links.add(user.link)
            done[user.user_id] = (_outcome(user, user.contact_id, refused, facts_refused), writes)
        _raise_unavailable(outcomes)
        await links.flush(_LINK_FLUSH)
    applied = Applied()
    for user in plan.users:
        if user.user_id not in done:
            if user.link is not None:
                links.add(user.link)
            done[user.user_id] = (_outcome(user, user.contact_id, None, None), 0)
        outcome, writes = done[user.user_id]
        applied.outcomes.append(outcome)
        applied.psa_writes += writes
    return applied


def _chunks(users: list[UserPlan]) -> list[list[UserPlan]]:
    return [users[start : start + BULK_CHUNK] for start in range(0, len(users), BULK_CHUNK)]


def _checked(results: Sequence[_T], expected: int) -> Sequence[_T]:
    """BulkContacts answers one result per item, in order; anything else is a connector's bug."""
    if len(results) != expected:
        raise ValueError(f"the PSA connector answered {len(results)} results for {expected} items")
    return results


def _raise_unavailable(results: Sequence[object]) -> None:
    # A connector should raise it; one that lists it as an item's result still fails no user.
    for result in results:
        if isinstance(result, PsaUnavailable):
            raise result


def _has_work(plan: UserPlan) -> bool:
    return bool(plan.changes) or plan.facts is not None or plan.set_active is not None


def _add(items: list[ContactChange], item: ContactChange | None) -> int | None:
    if item is None:
        return None
    items.append(item)
    return len(items) - 1


def _change_of(plan: UserPlan) -> ContactChange | None:
    """The fields and the activation of an existing contact: one item, taken or refused whole."""
    if plan.contact_id is None or not (plan.changes or plan.set_active is not None):
        return None
    active = plan.set_active
    return ContactChange(
        contact_id=plan.contact_id,
        changes=plan.changes,
        active=active.active if active is not None else None,
        inactive_reason=active.reason.value if active is not None and active.reason is not None else None,
    )


def _facts_of(plan: UserPlan) -> ContactChange | None:
    """The facts, an item of their own (a connector may merge the two items of one contact)."""
    if plan.contact_id is None or plan.facts is None:
        return None
    return ContactChange(contact_id=plan.contact_id, facts=plan.facts)


def _outcome(
    plan: UserPlan, contact_id: str | None, refused: PsaError | None, facts_refused: PsaError | None
) -> UserOutcome:
    outcome = plan.to_outcome().model_copy(update={"contact_id": contact_id})
    if refused is not None:
        # R3.5: the PSA's refusal fails this user only, with the PSA's message.
        log.warning("user %s: the PSA refused: %s", plan.user_id, refused)
        outcome = outcome.model_copy(update={"outcome": Outcome.FAILED, "reason": f"the PSA refused: {refused}"})
    if facts_refused is not None:
        log.warning("user %s: Microsoft facts not written: %s", plan.user_id, facts_refused)
        if refused is None:  # a failed user's reason is the refusal alone
            outcome = outcome.model_copy(update={"reason": f"{outcome.reason}; {FACTS_NOT_WRITTEN}"})
    return outcome
