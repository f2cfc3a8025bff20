"""One user's plan for each thing the sync can do to a contact: create, link and keep in step (R4,
R5.3), inactivate (R5.1, R5.2). Shared by the planner and by ambiguity resolution (R6.2)."""

from __future__ import annotations

from shared.models.contacts import ContactLink, InactiveReason
from shared.models.entra import EntraUser
from shared.models.psa import Capabilities, MicrosoftFacts, PsaContact
from shared.models.runs import Outcome
from shared.models.sync_settings import FieldControls
from shared.sync.facts import FactsInputs, facts_changed, microsoft_facts
from shared.sync.fields import HOLDS_EVERYTHING, contact_fields, field_changes, synced_hash
from shared.sync.plan import CreateContact, SetActive, UserPlan

__all__ = ["plan_create", "plan_inactivate", "plan_linked"]

_SYNC_REASONS = frozenset(reason.value for reason in InactiveReason)  # a contact the sync inactivated
_WHY_INACTIVE = {
    InactiveReason.DISABLED: "disabled in Microsoft",
    InactiveReason.DELETED: "deleted in Microsoft",
}


def _facts_to_write(
    user: EntraUser, inputs: FactsInputs | None, current: MicrosoftFacts | None, capabilities: Capabilities
) -> MicrosoftFacts | None:
    """The user's facts when they changed in what the PSA keeps (R4.4, R8.1); None otherwise."""
    if inputs is None or not capabilities.contact_facts:
        return None
    facts = microsoft_facts(user, inputs, current)
    return facts if facts_changed(facts, current, capabilities.contact_fact_fields) else None


def plan_create(
    user: EntraUser,
    *,
    tenant_id: str,
    client_id: str,
    reason: str,
    facts: FactsInputs | None,
    capabilities: Capabilities = HOLDS_EVERYTHING,
) -> UserPlan:
    """Create a contact with every field Entra has (R3.3 none, R4.1), and link it."""
    fields = contact_fields(user)
    return UserPlan(
        user_id=user.id,
        display_name=user.display_name,
        outcome=Outcome.CREATED,
        reason=reason,
        create=CreateContact(client_id=client_id, fields=fields),
        link=ContactLink(
            tenant_id=tenant_id,
            user_id=user.id,
            contact_id="",
            client_id=client_id,
            synced_hash=synced_hash(fields),
        ),
        facts=_facts_to_write(user, facts, None, capabilities),
    )


def plan_linked(
    user: EntraUser,
    contact: PsaContact,
    link: ContactLink | None,
    *,
    tenant_id: str,
    controls: FieldControls,
    facts: FactsInputs | None,
    match_reason: str = "",
    capabilities: Capabilities = HOLDS_EVERYTHING,
) -> UserPlan:
    """An enabled user in scope and their contact.

    `link` None: a new link (R3.3, R6.2), outcome `linked` with the R4.2 changes applied at once, and
    the contact reactivated if its own inactive reason says the sync inactivated it (R5.3: a link lost
    with the table, R8.5, took the link's record of that with it).
    Otherwise the existing link (R3.1): `reactivated` if the sync had inactivated the contact (R5.3; a
    contact a person inactivated stays inactive), else `updated` if a field really changes (R4.2, R4.3),
    else `unchanged`. The link row comes back with the lifecycle flags cleared, written only if it differs.
    Only what the PSA can hold is compared and written (`capabilities`, R8.1).
    """
    fields = contact_fields(user)
    changes = field_changes(fields, contact, controls, capabilities)
    # Without a link (a lost links table, R8.5), the contact's own inactive reason, where the PSA keeps
    # one, still says whether the sync inactivated it.
    by_sync = link.inactivated_by_sync if link is not None else contact.inactive_reason in _SYNC_REASONS
    reactivate = by_sync and not contact.active
    new_link = ContactLink(
        tenant_id=tenant_id,
        user_id=user.id,
        contact_id=contact.id,
        client_id=contact.client_id,
        synced_hash=synced_hash(fields),
    )
    changed = f"set {', '.join(changes)}" if changes else ""
    if link is None:
        again = "reactivated: the contact says the sync inactivated it" if reactivate else ""
        outcome, reason = Outcome.LINKED, "; ".join(filter(None, [match_reason, again, changed]))
    elif reactivate:
        why = "restored in Microsoft" if link.user_deleted else "re-enabled in Microsoft"
        outcome, reason = Outcome.REACTIVATED, "; ".join(filter(None, [why, changed]))
    elif changes:
        outcome, reason = Outcome.UPDATED, f"updated {', '.join(changes)}"
    else:
        outcome, reason = Outcome.UNCHANGED, "no changes"
    if not contact.active and not reactivate:
        reason += "; the contact stays inactive (inactivated outside the sync)"
    return UserPlan(
        user_id=user.id,
        display_name=user.display_name,
        outcome=outcome,
        reason=reason,
        contact_id=contact.id,
        link_to=contact.id if link is None else None,
        changes=changes,
        set_active=SetActive(active=True) if reactivate else None,
        link=new_link if new_link != link else None,
        facts=_facts_to_write(user, facts, contact.microsoft, capabilities),
    )


def plan_inactivate(
    contact: PsaContact,
    link: ContactLink,
    why: InactiveReason,
    *,
    user: EntraUser | None,
    facts: FactsInputs | None,
    capabilities: Capabilities = HOLDS_EVERYTHING,
) -> UserPlan:
    """A linked user disabled (R5.1) or deleted (R5.2, `user` None when gone from a full list).

    The contact is inactivated once per event: already inactive -> `unchanged`; inactivated by the sync
    for this same reason and since turned back on by a person -> left active, `unchanged`. The link is
    kept, marked `user_deleted` for a deletion.
    """
    deleted = why is InactiveReason.DELETED
    new_link = link.model_copy(update={"user_deleted": deleted})
    set_active = None
    if not contact.active:
        outcome, reason = Outcome.UNCHANGED, f"{_WHY_INACTIVE[why]}; contact already inactive"
    elif link.inactivated_by_sync and link.inactive_reason is why:
        outcome, reason = Outcome.UNCHANGED, f"{_WHY_INACTIVE[why]}; reactivated by a person, left active"
    else:
        outcome, reason = Outcome.INACTIVATED, _WHY_INACTIVE[why]
        set_active = SetActive(active=False, reason=why)
        new_link = new_link.model_copy(update={"inactivated_by_sync": True, "inactive_reason": why})
    name = " ".join(filter(None, [contact.first_name, contact.last_name]))
    return UserPlan(
        user_id=link.user_id,
        display_name=user.display_name if user is not None else (name or None),
        outcome=outcome,
        reason=reason,
        contact_id=contact.id,
        set_active=set_active,
        link=new_link if new_link != link else None,
        facts=None if user is None else _facts_to_write(user, facts, contact.microsoft, capabilities),
    )
