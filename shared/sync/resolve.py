"""The pure part of settling an ambiguity (R6.2): what resolving to an existing or a new contact does."""

from __future__ import annotations

from collections.abc import Iterable

from shared.models.contacts import Ambiguity, AmbiguityStatus, ContactLink
from shared.models.entra import EntraUser
from shared.models.psa import Capabilities, PsaContact
from shared.models.sync_settings import FieldControls
from shared.sync.actions import plan_create, plan_linked
from shared.sync.facts import FactsInputs
from shared.sync.fields import HOLDS_EVERYTHING
from shared.sync.plan import UserPlan

__all__ = ["ResolveRefused", "resolve_to_existing", "resolve_to_new", "resolved"]


class ResolveRefused(ValueError):
    """The chosen contact may not be linked to this user."""


def resolve_to_existing(
    user: EntraUser,
    contact: PsaContact,
    *,
    tenant_id: str,
    client_id: str,
    controls: FieldControls,
    links: Iterable[ContactLink] = (),
    facts: FactsInputs | None = None,
    capabilities: Capabilities = HOLDS_EVERYTHING,
) -> UserPlan:
    """Link `user` to the chosen contact and apply R4.2 at once, as a link would (outcome `linked`).

    Refused (ResolveRefused) when the contact is not the mapped client's, or is linked to another user.
    """
    if contact.client_id != client_id:
        raise ResolveRefused(f"contact {contact.id} is not a contact of client {client_id}")
    for link in links:
        if link.tenant_id == tenant_id and link.contact_id == contact.id and link.user_id != user.id:
            raise ResolveRefused(f"contact {contact.id} is already linked to another user")
    return plan_linked(
        user,
        contact,
        None,
        tenant_id=tenant_id,
        controls=controls,
        facts=facts,
        match_reason="resolved by a person to an existing contact",
        capabilities=capabilities,
    )


def resolve_to_new(
    user: EntraUser,
    *,
    tenant_id: str,
    client_id: str,
    facts: FactsInputs | None = None,
    capabilities: Capabilities = HOLDS_EVERYTHING,
) -> UserPlan:
    """Create a contact for `user` (outcome `created`)."""
    return plan_create(
        user,
        tenant_id=tenant_id,
        client_id=client_id,
        reason="resolved by a person to a new contact",
        facts=facts,
        capabilities=capabilities,
    )


def resolved(ambiguity: Ambiguity, plan: UserPlan, *, by: str, contact_id: str | None = None) -> Ambiguity:
    """The ambiguity row once `plan` (a link or a create) settled it; `contact_id` overrides the plan's
    (the id of a contact just created)."""
    return ambiguity.model_copy(
        update={
            "status": AmbiguityStatus.RESOLVED,
            "resolution": "new" if plan.create is not None else "existing",
            "contact_id": contact_id or plan.contact_id,
            "resolved_by": by,
        }
    )
