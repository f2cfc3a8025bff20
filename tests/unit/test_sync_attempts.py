"""What a tenant's earlier tries landed, told from the next try's plan (shared.sync.attempts, issue 13):
one outcome per user across the tries (R7.3), each PSA write counted once."""

from __future__ import annotations

from shared.models import ContactFields, InactiveReason, Outcome, UserOutcome
from shared.models.runs import AttemptUser
from shared.sync.attempts import UNCONFIRMED, intent, merged, settle, unconfirmed
from shared.sync.plan import CreateContact, SetActive, TenantPlan, UserPlan

CREATE = CreateContact(client_id="c", fields=ContactFields(first_name="Ann"))


def plan(*users: UserPlan) -> TenantPlan:
    return TenantPlan(tenant_id="t", client_id="c", users=list(users))


def user(outcome: Outcome, **actions: object) -> UserPlan:
    return UserPlan.model_validate({"user_id": "u-ann", "outcome": outcome, "reason": outcome.value, **actions})


def outcome(value: Outcome, contact_id: str | None = None) -> UserOutcome:
    return UserOutcome(user_id="u-ann", outcome=value, reason=value.value, contact_id=contact_id)


def tried(first: UserPlan) -> list[AttemptUser]:
    """What a try of `first` recorded before it wrote."""
    return intent({}, plan(first))


def test_a_try_records_each_kind_of_write_it_is_about_to_make() -> None:
    changes = user(
        Outcome.INACTIVATED,
        contact_id="k1",
        changes={"title": "CFO"},
        set_active=SetActive(active=False, reason=InactiveReason.DISABLED),
    )

    [entry] = tried(changes)

    assert entry.pending == ["update", "activate"] and entry.pending_changes == {"title": "CFO"}
    assert entry.pending_active is False and entry.pending_outcome is not None
    assert intent({}, plan(user(Outcome.UNCHANGED, contact_id="k1"))) == []  # nothing to write, nothing kept


def test_a_create_the_next_plan_finds_linked_landed_and_stays_created_with_its_contact() -> None:
    settled = settle(tried(user(Outcome.CREATED, create=CREATE)), plan(user(Outcome.LINKED, contact_id="k9")))

    outcomes, writes = merged(settled, [outcome(Outcome.LINKED, "k9")])

    assert [(o.outcome, o.contact_id) for o in outcomes] == [(Outcome.CREATED, "k9")] and writes == 1


def test_a_create_the_next_plan_makes_again_did_not_land_and_counts_once() -> None:
    settled = settle(tried(user(Outcome.CREATED, create=CREATE)), plan(user(Outcome.CREATED, create=CREATE)))

    outcomes, writes = merged(settled, [outcome(Outcome.CREATED, "k1")])

    assert [o.outcome for o in outcomes] == [Outcome.CREATED] and writes == 0  # the retry's own write


def test_an_update_landed_unless_the_next_plan_writes_the_same_value_again() -> None:
    first = tried(user(Outcome.UPDATED, contact_id="k1", changes={"title": "CFO"}))

    again = settle(first, plan(user(Outcome.UPDATED, contact_id="k1", changes={"title": "CFO"})))
    landed = settle(first, plan(user(Outcome.UNCHANGED, contact_id="k1")))
    moved_on = settle(first, plan(user(Outcome.UPDATED, contact_id="k1", changes={"title": "CEO"})))

    assert again["u-ann"].writes == 0 and again["u-ann"].outcome is None
    assert landed["u-ann"].writes == 1 and merged(landed, [outcome(Outcome.UNCHANGED)])[0][0].outcome is Outcome.UPDATED
    assert moved_on["u-ann"].writes == 1  # Entra changed again: both writes happened


def test_an_inactivation_that_landed_beats_the_retrys_unchanged_and_a_later_state_beats_it() -> None:
    off = SetActive(active=False, reason=InactiveReason.DISABLED)
    landed = settle(tried(user(Outcome.INACTIVATED, contact_id="k1", set_active=off)), plan(user(Outcome.UNCHANGED)))

    assert merged(landed, [outcome(Outcome.UNCHANGED)]) == ([outcome(Outcome.INACTIVATED, "k1")], 1)
    assert merged(landed, [outcome(Outcome.REACTIVATED)])[0][0].outcome is Outcome.REACTIVATED


def test_a_link_saved_by_an_earlier_try_stays_linked_over_a_later_update() -> None:
    settled = settle(tried(user(Outcome.LINKED, contact_id="k1", link_to="k1")), plan(user(Outcome.UPDATED)))

    outcomes, writes = merged(settled, [outcome(Outcome.UPDATED, "k1")])

    assert [o.outcome for o in outcomes] == [Outcome.LINKED] and writes == 0  # a link is not a PSA write


def test_a_user_the_next_try_plans_nothing_for_had_every_write_land() -> None:
    # A delta pass after the earlier try moved the delta link: the link moves only once it applied.
    settled = settle(tried(user(Outcome.CREATED, create=CREATE)), None)

    assert merged(settled, []) == ([outcome(Outcome.CREATED)], 1)


def test_a_created_contact_stays_created_when_the_retry_then_fails_the_user() -> None:
    settled = settle(tried(user(Outcome.CREATED, create=CREATE)), plan(user(Outcome.UPDATED, contact_id="k1")))

    [merged_outcome], _ = merged(settled, [outcome(Outcome.FAILED, "k1")])

    assert merged_outcome.outcome is Outcome.CREATED and "failed" in merged_outcome.reason


def test_a_tenant_failed_for_good_reports_what_landed_and_its_unconfirmed_writes_as_failed() -> None:
    landed = AttemptUser(user_id="u-bob", outcome=UserOutcome(user_id="u-bob", outcome=Outcome.CREATED, reason="new"))
    sent = tried(user(Outcome.CREATED, create=CREATE))[0]

    outcomes, writes = unconfirmed([landed.model_copy(update={"writes": 1}), sent])

    assert [(o.user_id, o.outcome) for o in outcomes] == [("u-ann", Outcome.FAILED), ("u-bob", Outcome.CREATED)]
    assert outcomes[0].reason == UNCONFIRMED and writes == 1
