"""The plan models: writes a dry run reports, outcomes for the run record (R7.3, R7.4)."""

from __future__ import annotations

import pytest

from shared.models import ContactFields, ContactLink, InactiveReason, MicrosoftFacts, Outcome
from shared.sync.plan import CreateContact, SetActive, TenantPlan, UserPlan

LINK = ContactLink(tenant_id="t", user_id="u1", contact_id="", client_id="c", synced_hash="h")


def plan(**fields: object) -> UserPlan:
    return UserPlan.model_validate({"user_id": "u1", "outcome": Outcome.UNCHANGED, "reason": "r", **fields})


def test_r7_4_writes_count_psa_calls() -> None:
    create = CreateContact(client_id="c", fields=ContactFields(email="a@x.example"))
    assert plan().writes == 0
    assert plan(create=create, facts=MicrosoftFacts(license="x"), link=LINK).writes == 1  # facts go with it
    assert plan(changes={"title": "Dentist"}, facts=MicrosoftFacts(license="x")).writes == 1
    assert plan(facts=MicrosoftFacts(license="x")).writes == 1
    assert plan(changes={"title": "Dentist"}, set_active=SetActive(active=True)).writes == 2
    assert plan(set_active=SetActive(active=False, reason=InactiveReason.DISABLED)).writes == 1
    assert plan(link=LINK.model_copy(update={"contact_id": "k1"})).writes == 0  # our table, not the PSA


def test_link_for_created_fills_in_the_new_contact() -> None:
    created = plan(create=CreateContact(client_id="c", fields=ContactFields()), link=LINK)
    assert created.link_for_created("k9") == LINK.model_copy(update={"contact_id": "k9"})
    with pytest.raises(ValueError, match="creates no contact"):
        plan().link_for_created("k9")


def test_r7_3_tenant_plan_counts_and_outcomes() -> None:
    users = [
        plan(user_id="u1", outcome=Outcome.CREATED, create=CreateContact(client_id="c", fields=ContactFields())),
        plan(user_id="u2", outcome=Outcome.IGNORED, reason="guest user"),
        plan(user_id="u3", outcome=Outcome.UPDATED, contact_id="k3", changes={"title": "x"}, display_name="Cy"),
    ]
    tenant = TenantPlan(tenant_id="t", client_id="c", users=users)
    assert tenant.writes == 2
    assert (tenant.counts.created, tenant.counts.ignored, tenant.counts.updated) == (1, 1, 1)
    assert tenant.outcomes()[2].model_dump(by_alias=True) == {
        "userId": "u3",
        "outcome": Outcome.UPDATED,
        "reason": "r",
        "contactId": "k3",
        "displayName": "Cy",
    }


def test_plans_serialise_camel_case_for_a_dry_run_report() -> None:
    dumped = TenantPlan(tenant_id="t", client_id="c", users=[plan(link_to="k1")]).model_dump(mode="json")
    assert dumped["users"][0]["linkTo"] == "k1" and dumped["heldInactivations"] == []
