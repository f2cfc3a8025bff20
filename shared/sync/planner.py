"""Plan one tenant's sync: every user's outcome, reason and actions (R2-R6). Pure and deterministic."""

from __future__ import annotations

from shared.models.contacts import Ambiguity, AmbiguityStatus, ContactLink, InactiveReason
from shared.models.entra import EntraUser
from shared.models.psa import Capabilities, PsaContact
from shared.models.runs import Outcome
from shared.sync.actions import plan_create, plan_inactivate, plan_linked
from shared.sync.candidates import Decision, Match, match_users
from shared.sync.identity import email_identity
from shared.sync.inputs import TenantInputs
from shared.sync.plan import HeldInactivation, TenantPlan, UserPlan
from shared.sync.resolve import resolved
from shared.sync.scope import ignore_reason

__all__ = ["plan_tenant"]


def plan_tenant(inputs: TenantInputs) -> TenantPlan:
    """The plan for one tenant: exactly one `UserPlan` per user (R7.3), sorted by user id.

    Users are every user in `inputs.users`, plus, on a complete pass, linked users missing from it
    whose deletion has not been handled yet. Planning again over the applied result, with nothing
    changed in Entra, gives only `unchanged` / `ignored` and zero writes (R7.6).
    """
    return _Planner(inputs).plan()


def _held(contact: PsaContact, capabilities: Capabilities) -> PsaContact:
    """The contact as the PSA can hold it: additional emails take part in matching only where the PSA
    keeps them (R8.1, R8.2)."""
    if capabilities.additional_emails or not contact.additional_emails:
        return contact
    return contact.model_copy(update={"additional_emails": []})


def _ignored(user: EntraUser, reason: str) -> UserPlan:
    return UserPlan(user_id=user.id, display_name=user.display_name, outcome=Outcome.IGNORED, reason=reason)


class _Planner:
    def __init__(self, inputs: TenantInputs) -> None:
        self.inputs = inputs
        self.settings = inputs.settings
        self.users = {u.id: u for u in inputs.users}
        self.capabilities = inputs.capabilities
        self.contacts = {c.id: _held(c, self.capabilities) for c in inputs.contacts if c.client_id == inputs.client_id}
        # A link whose contact is no longer among the client's contacts is stale: the user matches again.
        self.links = {
            link.user_id: link
            for link in inputs.links
            if link.tenant_id == inputs.tenant_id and link.contact_id in self.contacts
        }
        self.ambiguities = {a.user_id: a for a in inputs.ambiguities if a.tenant_id == inputs.tenant_id}
        self.taken = {link.contact_id for link in self.links.values()}
        # Contacts whose PSA record names an Entra user: theirs (see _known_contact), nobody else's.
        self.recorded = {c.id for c in self.contacts.values() if c.entra_user_id}
        self.plans: dict[str, UserPlan] = {}

    def plan(self) -> TenantPlan:
        unlinked: list[EntraUser] = []
        for user_id in sorted(self.users):
            user = self.users[user_id]
            plan = self._present(user)
            if plan is None:
                unlinked.append(user)
            else:
                self.plans[user_id] = plan
        if self.inputs.complete:
            for user_id, link in sorted(self.links.items()):
                if user_id not in self.users and not link.user_deleted:
                    self.plans[user_id] = self._inactivate(link, InactiveReason.DELETED, None)
        ambiguities = self._match(unlinked)
        ambiguities += self._close_settled()
        held = self._brake()
        return TenantPlan(
            tenant_id=self.inputs.tenant_id,
            client_id=self.inputs.client_id,
            users=[self.plans[u] for u in sorted(self.plans)],
            ambiguities=sorted(ambiguities, key=lambda a: a.user_id),
            held=bool(held),
            held_inactivations=held,
        )

    def _present(self, user: EntraUser) -> UserPlan | None:
        """The plan of a user Graph returned, or None for a user who goes to matching."""
        link = self.links.get(user.id)
        if user.removed is not None:
            if link is None:
                return _ignored(user, "deleted in Microsoft, never linked")
            return self._inactivate(link, InactiveReason.DELETED, user)
        reason = ignore_reason(
            user,
            self.settings,
            linked=link is not None,
            group_members=self.inputs.group_members,
            non_person_ids=self.inputs.non_person_ids,
        )
        if reason is not None:
            return _ignored(user, f"{reason}; contact left as it is" if link is not None else reason)
        if link is not None:
            if not user.account_enabled:
                return self._inactivate(link, InactiveReason.DISABLED, user)
            return self._linked(user, self.contacts[link.contact_id], link, "")
        ambiguity = self.ambiguities.get(user.id)
        if ambiguity is not None and ambiguity.status is AmbiguityStatus.DISMISSED:
            return _ignored(user, "ambiguity dismissed by a person; not queued again")
        contact = self._known_contact(user, ambiguity)
        if contact is not None:
            self.taken.add(contact.id)
            recorded = contact.entra_user_id == user.id
            why = "contact records this Entra user" if recorded else "resolved by a person"
            return self._linked(user, contact, None, why)
        return None

    def _known_contact(self, user: EntraUser, ambiguity: Ambiguity | None) -> PsaContact | None:
        """A contact this user was already tied to without a link row: the one a person resolved the
        user's ambiguity to (R6.2), or one whose PSA record names the user. None if taken or gone."""
        wanted = [c.id for c in self.contacts.values() if c.entra_user_id == user.id]
        if ambiguity is not None and ambiguity.status is AmbiguityStatus.RESOLVED and ambiguity.contact_id:
            wanted.insert(0, ambiguity.contact_id)
        for contact_id in wanted:
            contact = self.contacts.get(contact_id)
            if contact is not None and contact_id not in self.taken and contact.entra_user_id in (None, user.id):
                return contact
        return None

    def _linked(self, user: EntraUser, contact: PsaContact, link: ContactLink | None, why: str) -> UserPlan:
        return plan_linked(
            user,
            contact,
            link,
            tenant_id=self.inputs.tenant_id,
            controls=self.settings.field_controls,
            facts=self.inputs.facts,
            match_reason=why,
            capabilities=self.capabilities,
        )

    def _inactivate(self, link: ContactLink, why: InactiveReason, user: EntraUser | None) -> UserPlan:
        contact = self.contacts[link.contact_id]
        return plan_inactivate(contact, link, why, user=user, facts=self.inputs.facts, capabilities=self.capabilities)

    def _match(self, users: list[EntraUser]) -> list[Ambiguity]:
        """Plans for users without a link (R3.2-R3.4); returns the ambiguity rows to write (R6.1)."""
        rows: list[Ambiguity] = []
        matches = match_users(users, list(self.contacts.values()), self.taken | self.recorded)
        for user_id, match in sorted(matches.items()):
            user = self.users[user_id]
            if match.decision is Decision.LINK:
                contact = self.contacts[match.contact_ids[0]]
                self.plans[user_id] = self._linked(user, contact, None, match.reason)
            elif match.decision is Decision.CREATE:
                self.plans[user_id] = plan_create(
                    user,
                    tenant_id=self.inputs.tenant_id,
                    client_id=self.inputs.client_id,
                    reason=match.reason,
                    facts=self.inputs.facts,
                    capabilities=self.capabilities,
                )
            else:
                plan, row = self._queue(user, match)
                self.plans[user_id] = plan
                rows += [row] if row is not None else []
        return rows

    def _queue(self, user: EntraUser, match: Match) -> tuple[UserPlan, Ambiguity | None]:
        """Open or refresh the user's one ambiguity (R6.1); an open one with nothing new is `unchanged`."""
        candidates = list(match.contact_ids)
        update = {
            "display_name": user.display_name,
            "email": email_identity(user),
            "candidate_contact_ids": candidates,
            "status": AmbiguityStatus.OPEN,
            "resolution": None,
            "contact_id": None,
            "resolved_by": None,
        }
        existing = self.ambiguities.get(user.id)
        if existing is None:
            row = Ambiguity(tenant_id=self.inputs.tenant_id, user_id=user.id, **update)
        else:
            row = existing.model_copy(update=update)
        plan = UserPlan(user_id=user.id, display_name=user.display_name, outcome=Outcome.QUEUED, reason="")
        if row == existing:
            waiting = f"waiting for a person in the ambiguity queue ({', '.join(candidates)})"
            return plan.model_copy(update={"outcome": Outcome.UNCHANGED, "reason": waiting}), None
        return plan.model_copy(update={"reason": match.reason, "queue": candidates}), row

    def _close_settled(self) -> list[Ambiguity]:
        """Open ambiguities of users who now have a contact (linked by a person, or only one candidate or
        none left): closed as resolved by the sync, so they do not linger."""
        rows = []
        for user_id, plan in self.plans.items():
            ambiguity = self.ambiguities.get(user_id)
            if ambiguity is None or ambiguity.status is not AmbiguityStatus.OPEN:
                continue
            if plan.create is not None or plan.link_to is not None or user_id in self.links:
                contact_id = self.links[user_id].contact_id if user_id in self.links else None
                rows.append(resolved(ambiguity, plan, by="sync", contact_id=contact_id))
        return rows

    def _brake(self) -> list[HeldInactivation]:
        """Hold every inactivation when there are more than max(min, percent % of linked contacts) (R5.5).

        Linked contacts are counted as this run leaves them (its new links included): a run that links
        new users and the next run, with nothing changed in Entra, then come to the same decision (R7.6).
        """
        brake = self.settings.safety_brake
        going = [p for p in self.plans.values() if p.set_active is not None and not p.set_active.active]
        linked = set(self.links) | {u for u, p in self.plans.items() if p.create is not None or p.link_to is not None}
        limit = max(brake.min_contacts, brake.percent * len(linked) / 100)
        if self.inputs.brake_released or len(going) <= limit:
            return []
        held = []
        for plan in going:
            assert plan.set_active is not None and plan.set_active.reason is not None and plan.contact_id
            reason = plan.set_active.reason
            held.append(HeldInactivation(user_id=plan.user_id, contact_id=plan.contact_id, reason=reason))
            self.plans[plan.user_id] = UserPlan(
                user_id=plan.user_id,
                display_name=plan.display_name,
                outcome=Outcome.UNCHANGED,
                reason=f"inactivation held by the safety brake ({plan.reason}); waiting for approval",
                contact_id=plan.contact_id,
            )
        return sorted(held, key=lambda h: h.user_id)
