"""One user's plan per action: link and keep in step (R3.3, R4.2, R4.3, R5.3), inactivate (R5.1, R5.2)."""

from __future__ import annotations

from shared.models import ContactLink, EntraUser, FieldControls, InactiveReason, Outcome, PsaContact
from shared.sync.actions import plan_create, plan_inactivate, plan_linked
from shared.sync.plan import SetActive, UserPlan

SAM = EntraUser(
    id="u1", display_name="Sam Rivera", given_name="Sam", surname="Rivera", mail="sam@x.example", job_title="Dentist"
)
CONTACT = PsaContact(
    id="k1", client_id="c", first_name="Sam", last_name="Rivera", email="sam@x.example", title="Dentist"
)
LINK = ContactLink(tenant_id="t", user_id="u1", contact_id="k1", client_id="c")


def linked(contact: PsaContact = CONTACT, link: ContactLink | None = LINK) -> UserPlan:
    return plan_linked(SAM, contact, link, tenant_id="t", controls=FieldControls(), facts=None, match_reason="m")


def test_r4_3_nothing_to_change_is_unchanged_with_no_write() -> None:
    plan = linked()
    assert plan.outcome is Outcome.UNCHANGED and plan.writes == 0 and plan.changes == {}
    assert plan.link is not None  # first sync of this link records its hash
    again = linked(link=plan.link)
    assert again.link is None and again.outcome is Outcome.UNCHANGED


def test_r4_3_a_real_change_is_updated() -> None:
    plan = linked(CONTACT.model_copy(update={"title": "Associate Dentist"}))
    assert (plan.outcome, plan.changes, plan.reason) == (Outcome.UPDATED, {"title": "Dentist"}, "updated title")
    assert plan.writes == 1


def test_r3_3_a_new_link_applies_r4_2_at_once_and_stays_linked() -> None:
    plan = linked(CONTACT.model_copy(update={"title": "Associate"}), link=None)
    assert (plan.outcome, plan.link_to, plan.changes) == (Outcome.LINKED, "k1", {"title": "Dentist"})
    assert plan.reason == "m; set title"


def test_r5_3_reactivated_only_when_the_sync_inactivated_it() -> None:
    inactive = CONTACT.model_copy(update={"active": False})
    by_sync = LINK.model_copy(update={"inactivated_by_sync": True, "inactive_reason": InactiveReason.DISABLED})
    plan = linked(inactive, by_sync)
    assert (plan.outcome, plan.set_active, plan.reason) == (
        Outcome.REACTIVATED,
        SetActive(active=True),
        "re-enabled in Microsoft",
    )
    assert plan.link is not None and not plan.link.inactivated_by_sync and plan.link.inactive_reason is None
    by_person = linked(inactive, LINK)
    assert by_person.outcome is Outcome.UNCHANGED and by_person.set_active is None
    assert "stays inactive" in by_person.reason


def test_r5_3_restored_user_is_reactivated_and_the_link_no_longer_deleted() -> None:
    gone = LINK.model_copy(
        update={"inactivated_by_sync": True, "inactive_reason": InactiveReason.DELETED, "user_deleted": True}
    )
    plan = linked(CONTACT.model_copy(update={"active": False}), gone)
    assert (plan.outcome, plan.reason) == (Outcome.REACTIVATED, "restored in Microsoft")
    assert plan.link is not None and not plan.link.user_deleted


def test_r5_1_disabled_inactivates_and_marks_the_link() -> None:
    plan = plan_inactivate(CONTACT, LINK, InactiveReason.DISABLED, user=SAM, facts=None)
    assert (plan.outcome, plan.reason) == (Outcome.INACTIVATED, "disabled in Microsoft")
    assert plan.set_active == SetActive(active=False, reason=InactiveReason.DISABLED)
    assert plan.link == LINK.model_copy(
        update={"inactivated_by_sync": True, "inactive_reason": InactiveReason.DISABLED}
    )
    assert plan.changes == {}  # a leaver's fields are not touched


def test_r5_1_an_inactive_contact_is_unchanged() -> None:
    plan = plan_inactivate(
        CONTACT.model_copy(update={"active": False}), LINK, InactiveReason.DISABLED, user=SAM, facts=None
    )
    assert plan.outcome is Outcome.UNCHANGED and plan.set_active is None and plan.link is None


def test_r5_1_a_person_who_reactivated_the_contact_is_not_overruled() -> None:
    done = LINK.model_copy(update={"inactivated_by_sync": True, "inactive_reason": InactiveReason.DISABLED})
    plan = plan_inactivate(CONTACT, done, InactiveReason.DISABLED, user=SAM, facts=None)
    assert plan.outcome is Outcome.UNCHANGED and plan.set_active is None
    assert "reactivated by a person" in plan.reason


def test_r5_2_deleted_inactivates_and_keeps_the_link_for_a_restore() -> None:
    plan = plan_inactivate(CONTACT, LINK, InactiveReason.DELETED, user=None, facts=None)
    assert (plan.outcome, plan.reason, plan.display_name) == (Outcome.INACTIVATED, "deleted in Microsoft", "Sam Rivera")
    assert plan.link is not None and plan.link.user_deleted and plan.link.contact_id == "k1"


def test_r5_2_deleted_after_disabled_only_marks_the_link() -> None:
    disabled = LINK.model_copy(update={"inactivated_by_sync": True, "inactive_reason": InactiveReason.DISABLED})
    inactive = CONTACT.model_copy(update={"active": False})
    plan = plan_inactivate(inactive, disabled, InactiveReason.DELETED, user=None, facts=None)
    assert plan.outcome is Outcome.UNCHANGED and plan.writes == 0
    assert plan.link == disabled.model_copy(update={"user_deleted": True})


def test_r4_1_create_carries_every_field_and_the_link_to_write() -> None:
    plan = plan_create(SAM, tenant_id="t", client_id="c", reason="no matching contact", facts=None)
    assert plan.outcome is Outcome.CREATED and plan.create is not None
    assert plan.create.fields.title == "Dentist" and plan.create.client_id == "c"
    assert plan.link_for_created("k9").contact_id == "k9"
