"""The planner over one tenant: links, matching, lifecycle, the brake, ambiguities (R3, R4.3, R5, R6, R7.3)."""

from __future__ import annotations

from typing import Any

import pytest

from shared.models import (
    Ambiguity,
    AmbiguityStatus,
    ContactLink,
    EntraUser,
    Filters,
    InactiveReason,
    MicrosoftFacts,
    Outcome,
    PsaContact,
    SafetyBrake,
    SyncSettings,
)
from shared.models.entra import Removed
from shared.sync.facts import FactsInputs
from shared.sync.inputs import TenantInputs
from shared.sync.plan import SetActive, TenantPlan, UserPlan
from shared.sync.planner import plan_tenant

T, C = "t-1", "c-1"


def user(user_id: str, local: str, **fields: Any) -> EntraUser:
    address = f"{local}@x.example"
    return EntraUser.model_validate(
        {"id": user_id, "display_name": local, "mail": address, "user_principal_name": address, **fields}
    )


def contact(contact_id: str, local: str, **fields: Any) -> PsaContact:
    """A contact in step with `user(..., local)`: same address, first name from the display name."""
    values = {"id": contact_id, "client_id": C, "email": f"{local}@x.example", "first_name": local}
    return PsaContact.model_validate(values | fields)


def link(user_id: str, contact_id: str, **fields: Any) -> ContactLink:
    return ContactLink.model_validate(
        {"tenant_id": T, "user_id": user_id, "contact_id": contact_id, "client_id": C, **fields}
    )


def plan(
    users: list[EntraUser], contacts: list[PsaContact], links: list[ContactLink] | None = None, **kw: Any
) -> TenantPlan:
    kw.setdefault("complete", True)
    return plan_tenant(TenantInputs(tenant_id=T, client_id=C, users=users, contacts=contacts, links=links or [], **kw))


def of(tenant: TenantPlan, user_id: str) -> UserPlan:
    [found] = [u for u in tenant.users if u.user_id == user_id]
    return found


# R3.1 ---------------------------------------------------------------------------------------------


def test_r3_1_existing_link_wins_even_if_the_email_changed() -> None:
    renamed = user("u1", "ann.smith", given_name="Ann")
    contacts = [contact("k1", "ann.jones", first_name="Ann"), contact("k2", "ann.smith")]
    got = of(plan([renamed], contacts, [link("u1", "k1")]), "u1")
    assert got.contact_id == "k1" and got.link_to is None and got.create is None
    assert got.outcome is Outcome.UNCHANGED  # email control is off by default


def test_r3_1_a_resolved_user_is_not_queued_again() -> None:
    users, contacts = (
        [user("u1", "jordan")],
        [contact("k1", "jordan"), contact("k2", "billing", additional_emails=["jordan@x.example"])],
    )
    done = Ambiguity(
        tenant_id=T,
        user_id="u1",
        candidate_contact_ids=["k1", "k2"],
        status=AmbiguityStatus.RESOLVED,
        resolution="existing",
        contact_id="k1",
    )
    tenant = plan(users, contacts, [link("u1", "k1")], ambiguities=[done])
    assert of(tenant, "u1").outcome is not Outcome.QUEUED and tenant.ambiguities == []


def test_r3_1_a_link_to_a_contact_no_longer_in_the_client_is_stale_and_matched_again() -> None:
    got = of(plan([user("u1", "ann")], [contact("k2", "ann")], [link("u1", "k-gone")]), "u1")
    assert (got.outcome, got.link_to) == (Outcome.LINKED, "k2")
    assert got.link is not None and got.link.contact_id == "k2"


def test_r3_5_contacts_of_another_client_are_never_candidates() -> None:
    elsewhere = contact("k9", "ann", client_id="c-other")
    got = of(plan([user("u1", "ann")], [elsewhere]), "u1")
    assert got.outcome is Outcome.CREATED and got.create is not None and got.create.client_id == C


# R3.2 - R3.4 --------------------------------------------------------------------------------------


def test_r3_2_a_contact_linked_to_another_user_is_not_a_candidate() -> None:
    tenant = plan(
        [user("u1", "ann"), user("u2", "ann.b", other_mails=["ann@x.example"])],
        [contact("k1", "ann")],
        [link("u1", "k1")],
    )
    assert of(tenant, "u2").outcome is Outcome.CREATED


def test_r3_2_a_contact_whose_psa_record_names_another_user_is_not_a_candidate() -> None:
    got = of(plan([user("u1", "ann")], [contact("k1", "ann", entra_user_id="u-someone")]), "u1")
    assert got.outcome is Outcome.CREATED


def test_r3_3_a_contact_whose_psa_record_names_the_user_is_linked_without_a_link_row() -> None:
    got = of(plan([user("u1", "ann.new")], [contact("k1", "ann", entra_user_id="u1")]), "u1")
    assert (got.outcome, got.link_to) == (Outcome.LINKED, "k1")
    assert got.reason == "contact records this Entra user; set first_name"


def test_r3_3_several_candidates_queue_and_nothing_is_written_to_them() -> None:
    contacts = [contact("k1", "jordan"), contact("k2", "billing", additional_emails=["Jordan@X.example"])]
    tenant = plan([user("u1", "jordan")], contacts)
    got = of(tenant, "u1")
    assert (got.outcome, got.queue, got.writes, got.link) == (Outcome.QUEUED, ["k1", "k2"], 0, None)
    assert tenant.writes == 0


def test_r3_4_primary_match_beats_alias_match() -> None:
    alias = user("u1", "ann.lee", other_mails=["ann@x.example"])
    tenant = plan([alias, user("u2", "ann")], [contact("k1", "ann")])
    assert (of(tenant, "u2").outcome, of(tenant, "u2").contact_id) == (Outcome.LINKED, "k1")
    assert of(tenant, "u1").outcome is Outcome.CREATED


def test_r3_4_a_tie_queues_both_with_that_one_candidate() -> None:
    shared = contact("k1", "office", additional_emails=["ann@x.example", "bob@x.example"])
    tenant = plan([user("u1", "ann"), user("u2", "bob")], [shared])
    assert [(u.outcome, u.queue) for u in tenant.users] == [(Outcome.QUEUED, ["k1"])] * 2
    assert [a.candidate_contact_ids for a in tenant.ambiguities] == [["k1"], ["k1"]]


# R4 ----------------------------------------------------------------------------------------------


def test_r4_3_only_real_changes_count_as_updated() -> None:
    sam = user("u1", "sam", given_name="Sam", job_title="Dentist")
    same = contact("k1", "SAM", first_name=" Sam ", title="Dentist ")
    assert of(plan([sam], [same], [link("u1", "k1")]), "u1").outcome is Outcome.UNCHANGED
    changed = same.model_copy(update={"title": "Associate"})
    got = of(plan([sam], [changed], [link("u1", "k1")]), "u1")
    assert (got.outcome, got.changes, got.writes) == (Outcome.UPDATED, {"title": "Dentist"}, 1)


def test_r4_4_facts_that_change_are_written_but_not_counted_as_updated() -> None:
    with_facts = contact("k1", "sam", microsoft=MicrosoftFacts(license="old"))
    tenant = plan([user("u1", "sam")], [with_facts], [link("u1", "k1")], facts=FactsInputs())
    got = of(tenant, "u1")
    assert got.outcome is Outcome.UNCHANGED and got.facts == MicrosoftFacts() and got.writes == 1


# R5 ----------------------------------------------------------------------------------------------


def test_r5_1_linked_user_disabled_is_inactivated() -> None:
    got = of(plan([user("u1", "ann", account_enabled=False)], [contact("k1", "ann")], [link("u1", "k1")]), "u1")
    assert (got.outcome, got.set_active) == (
        Outcome.INACTIVATED,
        SetActive(active=False, reason=InactiveReason.DISABLED),
    )


def test_r5_1_disabled_beats_leaving_the_filters() -> None:
    # Offboarding strips licences; the leaver's contact must still be inactivated.
    settings = SyncSettings(filters=Filters(licensed=True))
    got = of(
        plan([user("u1", "ann", account_enabled=False)], [contact("k1", "ann")], [link("u1", "k1")], settings=settings),
        "u1",
    )
    assert got.outcome is Outcome.INACTIVATED


def test_r5_2_linked_user_missing_from_a_full_list_is_inactivated_and_the_link_kept() -> None:
    tenant = plan([], [contact("k1", "ann", first_name="Ann")], [link("u1", "k1")])
    got = of(tenant, "u1")
    assert (got.outcome, got.reason, got.display_name) == (Outcome.INACTIVATED, "deleted in Microsoft", "Ann")
    assert got.link == link(
        "u1", "k1", user_deleted=True, inactivated_by_sync=True, inactive_reason="deleted-in-microsoft"
    )


def test_r5_2_a_delta_pass_leaves_absent_users_alone_and_inactivates_removed_ones() -> None:
    contacts, links = [contact("k1", "ann"), contact("k2", "bob")], [link("u1", "k1"), link("u2", "k2")]
    tenant = plan([EntraUser(id="u2", removed=Removed(reason="deleted"))], contacts, links, complete=False)
    assert [u.user_id for u in tenant.users] == ["u2"]
    assert of(tenant, "u2").set_active == SetActive(active=False, reason=InactiveReason.DELETED)


def test_r5_2_a_deletion_already_handled_is_not_planned_again() -> None:
    done = link("u1", "k1", user_deleted=True, inactivated_by_sync=True, inactive_reason="deleted-in-microsoft")
    assert plan([], [contact("k1", "ann", active=False)], [done]).users == []


def test_r5_2_removed_and_never_linked_is_ignored() -> None:
    got = of(plan([EntraUser(id="u1", removed=Removed())], [], complete=False), "u1")
    assert (got.outcome, got.reason) == (Outcome.IGNORED, "deleted in Microsoft, never linked")


def test_r5_3_re_enabled_user_is_reactivated_only_if_the_sync_inactivated_it() -> None:
    inactive = contact("k1", "ann", active=False)
    by_sync = link("u1", "k1", inactivated_by_sync=True, inactive_reason="disabled-in-microsoft")
    assert of(plan([user("u1", "ann")], [inactive], [by_sync]), "u1").outcome is Outcome.REACTIVATED
    by_person = of(plan([user("u1", "ann")], [inactive], [link("u1", "k1")]), "u1")
    assert by_person.outcome is Outcome.UNCHANGED and by_person.set_active is None


def test_r5_3_r8_5_a_lost_link_relinked_by_id_reactivates_only_a_contact_that_says_the_sync_inactivated_it() -> None:
    # The links table lost the row that said the sync inactivated the contact; the contact says so itself.
    for why in ("disabled-in-microsoft", "deleted-in-microsoft"):
        by_sync = contact("k1", "ann", active=False, inactive_reason=why, entra_user_id="u1")
        got = of(plan([user("u1", "ann")], [by_sync], complete=False), "u1")
        assert (got.outcome, got.link_to, got.set_active) == (Outcome.LINKED, "k1", SetActive(active=True))
        assert got.reason == "contact records this Entra user; reactivated: the contact says the sync inactivated it"
        assert got.link is not None and not got.link.inactivated_by_sync
    for by_person in (contact("k1", "ann", active=False, entra_user_id="u1"), contact("k1", "ann", active=False)):
        got = of(plan([user("u1", "ann")], [by_person], complete=False), "u1")
        assert (got.outcome, got.link_to, got.set_active) == (Outcome.LINKED, "k1", None)
        assert got.reason.endswith("the contact stays inactive (inactivated outside the sync)")


def test_r5_3_restored_user_in_a_delta_pass_is_reactivated() -> None:
    gone = link("u1", "k1", user_deleted=True, inactivated_by_sync=True, inactive_reason="deleted-in-microsoft")
    got = of(plan([user("u1", "ann")], [contact("k1", "ann", active=False)], [gone], complete=False), "u1")
    assert (got.outcome, got.reason) == (Outcome.REACTIVATED, "restored in Microsoft")


@pytest.mark.parametrize(
    ("the_user", "settings"),
    [
        (user("u1", "svc-ann"), SyncSettings()),
        (user("u1", "ann", department="Sales"), SyncSettings(filters=Filters(departments=["Clinical"]))),
        (user("u1", "ann", user_type="Guest"), SyncSettings()),
    ],
)
def test_r5_4_linked_user_excluded_or_outside_the_filters_is_ignored_and_left_as_is(
    the_user: EntraUser, settings: SyncSettings
) -> None:
    got = of(plan([the_user], [contact("k1", "other", title="Old")], [link("u1", "k1")], settings=settings), "u1")
    assert got.outcome is Outcome.IGNORED and got.reason.endswith("contact left as it is")
    assert (got.writes, got.link, got.facts, got.set_active) == (0, None, None, None)


def brake_case(disabled: int, linked: int, **kw: Any) -> TenantPlan:
    users = [user(f"u{i:02}", f"p{i}", account_enabled=i >= disabled) for i in range(linked)]
    contacts = [contact(f"k{i:02}", f"p{i}") for i in range(linked)]
    links = [link(f"u{i:02}", f"k{i:02}") for i in range(linked)]
    return plan(users, contacts, links, **kw)


def test_r5_5_safety_brake_holds_inactivations_above_the_minimum() -> None:
    assert not brake_case(5, 10).held  # 5 is not more than max(5, 2)
    tenant = brake_case(6, 10)
    assert tenant.held and len(tenant.held_inactivations) == 6
    assert {u.outcome for u in tenant.users} == {Outcome.UNCHANGED}
    assert all(u.set_active is None and u.link is None for u in tenant.users[:6])
    assert "held by the safety brake" in tenant.users[0].reason and tenant.writes == 0
    assert tenant.held_inactivations[0].reason is InactiveReason.DISABLED


def test_r5_5_safety_brake_percent_of_linked_contacts() -> None:
    assert not brake_case(8, 40).held  # 8 is not more than max(5, 20 % of 40)
    assert brake_case(9, 40).held
    assert brake_case(2, 4, settings=SyncSettings(safety_brake=SafetyBrake(min_contacts=1, percent=25))).held


def test_r5_5_r7_6_the_brake_counts_the_links_this_run_makes_so_a_rerun_agrees() -> None:
    # One linked user disabled, two new users linked by this run: 1 of 3 linked is not over 50 %.
    settings = SyncSettings(safety_brake=SafetyBrake(min_contacts=0, percent=50))
    users = [user("u1", "ann", account_enabled=False), user("u2", "bob"), user("u3", "cy")]
    contacts = [contact("k1", "ann"), contact("k2", "bob")]

    first = plan(users, contacts, [link("u1", "k1")], settings=settings)
    rerun = plan(users, contacts, [link("u1", "k1"), link("u2", "k2"), link("u3", "k-new")], settings=settings)

    assert not first.held and of(first, "u1").outcome is Outcome.INACTIVATED
    assert not rerun.held


def test_r5_5_approval_lets_the_held_inactivations_through() -> None:
    tenant = brake_case(6, 10, brake_released=True)
    assert not tenant.held and tenant.counts.inactivated == 6


# R6 ----------------------------------------------------------------------------------------------

JORDAN = user("u1", "jordan")
TWO = [contact("k1", "jordan"), contact("k2", "billing", additional_emails=["jordan@x.example"])]


def test_r6_1_an_open_ambiguity_with_the_same_candidates_is_not_queued_again() -> None:
    first = plan([JORDAN], TWO)
    tenant = plan([JORDAN], TWO, ambiguities=first.ambiguities)
    assert (of(tenant, "u1").outcome, tenant.ambiguities, tenant.writes) == (Outcome.UNCHANGED, [], 0)
    assert "waiting for a person" in of(tenant, "u1").reason


def test_r6_1_an_open_ambiguity_is_refreshed_never_duplicated() -> None:
    old = Ambiguity(tenant_id=T, user_id="u1", candidate_contact_ids=["k1", "k-gone"], resolved_by=None)
    tenant = plan([JORDAN], TWO, ambiguities=[old])
    [row] = tenant.ambiguities
    assert row.candidate_contact_ids == ["k1", "k2"] and row.user_id == "u1" and row.status is AmbiguityStatus.OPEN
    assert of(tenant, "u1").outcome is Outcome.QUEUED


def test_r6_1_an_open_ambiguity_left_with_one_candidate_is_linked_and_closed() -> None:
    old = Ambiguity(tenant_id=T, user_id="u1", candidate_contact_ids=["k1", "k2"])
    tenant = plan([JORDAN], TWO[:1], ambiguities=[old])
    assert of(tenant, "u1").outcome is Outcome.LINKED
    [row] = tenant.ambiguities
    assert (row.status, row.resolution, row.contact_id, row.resolved_by) == (
        AmbiguityStatus.RESOLVED,
        "existing",
        "k1",
        "sync",
    )


def test_r6_2_a_dismissed_user_is_never_queued_again() -> None:
    dismissed = Ambiguity(
        tenant_id=T, user_id="u1", candidate_contact_ids=["k1", "k2"], status=AmbiguityStatus.DISMISSED
    )
    tenant = plan([JORDAN], TWO, ambiguities=[dismissed])
    got = of(tenant, "u1")
    assert got.outcome is Outcome.IGNORED and "dismissed" in got.reason
    assert tenant.ambiguities == [] and tenant.writes == 0


def test_r6_2_a_resolution_whose_link_row_is_missing_is_still_honoured() -> None:
    done = Ambiguity(tenant_id=T, user_id="u1", status=AmbiguityStatus.RESOLVED, resolution="existing", contact_id="k2")
    got = of(plan([JORDAN], TWO, ambiguities=[done]), "u1")
    assert (got.outcome, got.link_to) == (Outcome.LINKED, "k2")
    assert got.reason.startswith("resolved by a person")


def test_r6_1_a_linked_user_closes_their_open_ambiguity() -> None:
    still_open = Ambiguity(tenant_id=T, user_id="u1", candidate_contact_ids=["k1", "k2"])
    tenant = plan([JORDAN], TWO, [link("u1", "k1")], ambiguities=[still_open])
    assert [(a.status, a.contact_id) for a in tenant.ambiguities] == [(AmbiguityStatus.RESOLVED, "k1")]


# R2.2 and R7.3 -----------------------------------------------------------------------------------


def test_r2_2_disabled_and_never_linked_is_ignored_even_with_a_matching_contact() -> None:
    got = of(plan([user("u1", "ann", account_enabled=False)], [contact("k1", "ann")]), "u1")
    assert (got.outcome, got.writes) == (Outcome.IGNORED, 0)


def test_r7_3_one_outcome_per_user_sorted_by_id_last_duplicate_wins() -> None:
    users = [user("u2", "bob"), user("u1", "ann", job_title="Old"), user("u1", "ann", account_enabled=False)]
    tenant = plan(users, [], complete=False)
    assert [u.user_id for u in tenant.users] == ["u1", "u2"]
    assert of(tenant, "u1").outcome is Outcome.IGNORED  # the later (disabled) entry counts
