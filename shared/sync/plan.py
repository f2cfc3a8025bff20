"""What the planner returns: per user one outcome, a reason and the actions that bring it about.

A plan holds no delete of any kind: contacts are created, updated, linked and set active or inactive,
never removed (R5). An applier carries the actions out; a dry run reports them (R7.4).
"""

from __future__ import annotations

from pydantic import Field

from shared.models.base import WireModel
from shared.models.contacts import Ambiguity, ContactLink, InactiveReason
from shared.models.psa import ContactFields, MicrosoftFacts
from shared.models.runs import Counts, Outcome, UserOutcome

__all__ = ["CreateContact", "HeldInactivation", "SetActive", "TenantPlan", "UserPlan"]


class CreateContact(WireModel):
    """Create a contact in the mapped client with every field Entra has (R4.1)."""

    client_id: str
    fields: ContactFields


class SetActive(WireModel):
    """Activate (R5.3) or inactivate (R5.1, R5.2) a contact."""

    active: bool
    reason: InactiveReason | None = None  # why it is inactivated; None when activating


class UserPlan(WireModel):
    """One user's outcome (R7.3) and the actions that bring it about.

    `contact_id` is the contact acted on (None for a create until the PSA gives it an id, and for
    ignored or queued users). `link` is the link row to write, None when it is unchanged; for a create
    its `contact_id` is "" and the applier writes `link_for_created(new_id)` instead.
    """

    user_id: str
    display_name: str | None = None
    outcome: Outcome
    reason: str
    contact_id: str | None = None
    create: CreateContact | None = None
    link_to: str | None = None  # a new link to this existing contact (R3.3, R6.2)
    changes: dict[str, str] = Field(default_factory=dict)  # contact field -> new value (R4.2)
    set_active: SetActive | None = None
    queue: list[str] | None = None  # candidate contact ids of the ambiguity to open or refresh (R3.3)
    link: ContactLink | None = None
    facts: MicrosoftFacts | None = None  # to write beside the contact (R4.4); None when unchanged

    @property
    def writes(self) -> int:
        """PSA calls this plan implies: a create (facts go with it), one update for field changes
        and/or facts on an existing contact, one set-active call."""
        update = self.create is None and bool(self.changes or self.facts is not None)
        return (self.create is not None) + update + (self.set_active is not None)

    def link_for_created(self, contact_id: str) -> ContactLink:
        """The link row to write once the create returned the new contact's id."""
        if self.create is None or self.link is None:
            raise ValueError(f"user {self.user_id}: the plan creates no contact")
        return self.link.model_copy(update={"contact_id": contact_id})

    def to_outcome(self) -> UserOutcome:
        return UserOutcome(
            user_id=self.user_id,
            outcome=self.outcome,
            reason=self.reason,
            contact_id=self.contact_id,
            display_name=self.display_name,
        )


class HeldInactivation(WireModel):
    """An inactivation the safety brake holds until an operator approves (R5.5)."""

    user_id: str
    contact_id: str
    reason: InactiveReason


class TenantPlan(WireModel):
    tenant_id: str
    client_id: str
    users: list[UserPlan] = Field(default_factory=list)  # one per user, sorted by user id
    ambiguities: list[Ambiguity] = Field(default_factory=list)  # rows to write: opened, refreshed, closed
    held: bool = False
    held_inactivations: list[HeldInactivation] = Field(default_factory=list)

    @property
    def writes(self) -> int:
        """PSA create / update / set-active calls the plan implies (what a dry run reports)."""
        return sum(u.writes for u in self.users)

    @property
    def counts(self) -> Counts:
        return Counts.of(self.outcomes())

    def outcomes(self) -> list[UserOutcome]:
        return [u.to_outcome() for u in self.users]
