"""What a tenant's earlier tries in a run did, kept across tries so the run reports it (issue 13). Pure.

A try that is about to write records its intent first (`intent`): per user, the writes it is going to
make (`AttemptUser.pending`: "create", "update", "activate", "link") and the outcome they make. Whatever
point the try then dies at, even before it could record what the PSA answered, the next try's plan tells
what landed (`settle`): a write that plan no longer needs is in the PSA now, because the earlier try made
it; a write it plans again did not land. `merged` then reports, per user, what happened in the run across
the tries (a contact created by a try that then failed is `created`, not the `linked` or `unchanged` the
retry finds), and the PSA writes the earlier tries landed, so each write is counted once.

A user that this try plans nothing for (a delta pass whose changes an earlier try applied and moved the
delta link past) had every pending write land: the link moves only once the plan was applied.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from shared.models.runs import AttemptUser, Outcome, UserOutcome
from shared.sync.plan import TenantPlan, UserPlan

__all__ = ["UNCONFIRMED", "intent", "merged", "relinked", "settle", "unconfirmed"]

UNCONFIRMED = "sent to the PSA by a try that then failed; not confirmed (the next run finds it)"

# The outcome each kind of write makes; a later try's no-op (`unchanged`) never hides one of them.
_MADE_BY = {"create": Outcome.CREATED, "link": Outcome.LINKED, "activate": None, "update": Outcome.UPDATED}
_RANK = {Outcome.CREATED: 4, Outcome.LINKED: 3, Outcome.INACTIVATED: 2, Outcome.REACTIVATED: 2, Outcome.UPDATED: 1}
_COUNTED = ("create", "update", "activate")  # PSA writes ("link" writes only our link row)


def settle(prior: Iterable[AttemptUser], plan: TenantPlan | None) -> dict[str, AttemptUser]:
    """Each user's entry with the earlier tries' pending writes settled against this try's `plan`
    (None: this try plans no user). The entries returned have nothing pending."""
    planned = {u.user_id: u for u in plan.users} if plan is not None else {}
    return {entry.user_id: _settled(entry, planned.get(entry.user_id)) for entry in prior}


def _settled(entry: AttemptUser, plan: UserPlan | None) -> AttemptUser:
    if not entry.pending:
        return entry
    landed = [kind for kind in entry.pending if _landed(kind, entry, plan)]
    outcome = entry.outcome
    if landed and entry.pending_outcome is not None:
        made = _landed_outcome(entry.pending_outcome, landed)
        if plan is not None and plan.contact_id and made.contact_id is None:
            made = made.model_copy(update={"contact_id": plan.contact_id})  # the contact the create made
        outcome = made if outcome is None else _merge(outcome, made)
    landed_link = entry.landed_link
    if "activate" in landed and entry.pending_active is False and entry.pending_link is not None:
        landed_link = entry.pending_link  # the inactivation is the sync's: its link must say so (R5.3)
    return AttemptUser(
        user_id=entry.user_id,
        outcome=outcome,
        writes=entry.writes + sum(kind in _COUNTED for kind in landed),
        landed_link=landed_link,
    )


def _landed(kind: str, entry: AttemptUser, plan: UserPlan | None) -> bool:
    if plan is None:
        return True
    if kind == "create":
        return plan.create is None
    if kind == "update":  # landed unless this plan writes one of the same values again
        return not any(plan.changes.get(name) == value for name, value in entry.pending_changes.items())
    if kind == "activate":
        return plan.set_active is None or plan.set_active.active != entry.pending_active
    if kind == "link":
        return plan.link_to is None
    raise ValueError(f"unknown kind of write {kind!r}")


def _landed_outcome(pending: UserOutcome, landed: Sequence[str]) -> UserOutcome:
    """The planned outcome if the write that makes it landed, else the best outcome the landed ones make."""
    made = {_MADE_BY[kind] or pending.outcome for kind in landed}
    if pending.outcome in made:
        return pending
    best = max(made, key=lambda o: _RANK.get(o, 0))
    return pending.model_copy(update={"outcome": best})


def intent(settled: Mapping[str, AttemptUser], plan: TenantPlan) -> list[AttemptUser]:
    """What to record before this try writes: the settled entries, with this plan's writes pending."""
    entries = dict(settled)
    for user in plan.users:
        kinds = _kinds(user)
        if not kinds:
            continue
        base = entries.get(user.user_id) or AttemptUser(user_id=user.user_id)
        entries[user.user_id] = base.model_copy(
            update={
                "pending": kinds,
                "pending_outcome": user.to_outcome(),
                "pending_changes": dict(user.changes),
                "pending_active": user.set_active.active if user.set_active is not None else None,
                "pending_link": user.link if user.set_active is not None and not user.set_active.active else None,
            }
        )
    return [entries[user_id] for user_id in sorted(entries)]


def relinked(plan: TenantPlan, settled: Mapping[str, AttemptUser]) -> TenantPlan:
    """`plan` with the link rows of inactivations an earlier try made but may not have recorded.

    The link says the sync inactivated the contact (`inactivated_by_sync`), so a re-enable reactivates
    it (R5.3). A try that died between the PSA's inactivation and the link's save leaves a contact this
    plan finds inactive already, and plans the link without those flags: the contact would then stay
    inactive for good. This try writes the flags the earlier one planned."""
    fixed: list[UserPlan] = []
    changed = False
    for user in plan.users:
        entry = settled.get(user.user_id)
        landed = entry.landed_link if entry is not None else None
        if landed is None or user.set_active is not None:
            fixed.append(user)
            continue
        # The plan's own row where it writes one (its other values are newer), else the earlier try's.
        flags = {"inactivated_by_sync": True, "inactive_reason": landed.inactive_reason}
        fixed.append(user.model_copy(update={"link": (user.link or landed).model_copy(update=flags)}))
        changed = True
    return plan.model_copy(update={"users": fixed}) if changed else plan


def _kinds(user: UserPlan) -> list[str]:
    kinds = []
    if user.create is not None:
        kinds.append("create")
    if user.link_to is not None:
        kinds.append("link")
    if user.create is None and user.changes:
        kinds.append("update")
    if user.set_active is not None:
        kinds.append("activate")
    return kinds


def merged(settled: Mapping[str, AttemptUser], applied: Sequence[UserOutcome]) -> tuple[list[UserOutcome], int]:
    """This try's outcomes with what the earlier tries landed merged in (one outcome per user, R7.3),
    and the PSA writes those tries landed (this try's own writes are the caller's)."""
    outcomes: list[UserOutcome] = []
    seen: set[str] = set()
    for outcome in applied:
        seen.add(outcome.user_id)
        earlier = settled.get(outcome.user_id)
        outcomes.append(_merge(earlier.outcome, outcome) if earlier and earlier.outcome else outcome)
    for user_id in sorted(settled):
        entry = settled[user_id]
        if user_id not in seen and entry.outcome is not None:
            outcomes.append(entry.outcome)
    return outcomes, sum(entry.writes for entry in settled.values())


def _merge(earlier: UserOutcome, later: UserOutcome) -> UserOutcome:
    """One outcome for a user two tries acted on: a contact this run created stays `created`; a write
    that landed beats a later no-op; otherwise the later try's outcome, the user's state now."""
    if earlier.outcome is Outcome.CREATED:
        if later.outcome is Outcome.FAILED:
            return earlier.model_copy(update={"reason": f"{earlier.reason}; then {later.reason}"})
        return earlier.model_copy(update={"contact_id": earlier.contact_id or later.contact_id})
    if earlier.outcome in _RANK and (
        later.outcome is Outcome.UNCHANGED or _RANK[earlier.outcome] > _RANK.get(later.outcome, len(_RANK))
    ):
        return earlier
    return later


def unconfirmed(prior: Iterable[AttemptUser]) -> tuple[list[UserOutcome], int]:
    """What a tenant that failed for good reports of its tries: what landed, and its pending writes as
    `failed` (sent, never confirmed); and the PSA writes known to have landed."""
    outcomes: list[UserOutcome] = []
    writes = 0
    for entry in sorted(prior, key=lambda e: e.user_id):
        writes += entry.writes
        if entry.outcome is not None:
            outcomes.append(entry.outcome)
        elif entry.pending and entry.pending_outcome is not None:
            pending = entry.pending_outcome
            outcomes.append(pending.model_copy(update={"outcome": Outcome.FAILED, "reason": UNCONFIRMED}))
    return outcomes, writes
