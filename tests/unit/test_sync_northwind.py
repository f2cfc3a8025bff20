"""The team's acceptance example: the northwind scenario's first (initial) sync, planned per tenant."""

from __future__ import annotations

import json
from typing import Any

import pytest

from shared.models import EntraUser, Outcome, PsaContact
from shared.sync.facts import FactsInputs, MfaRegistration
from shared.sync.inputs import TenantInputs
from shared.sync.plan import TenantPlan, UserPlan
from shared.sync.planner import plan_tenant
from tests.conftest import NORTHWIND

SCENARIO = json.loads(NORTHWIND.read_text())
GREENLEAF = "d4db95b7-337d-540d-8a9f-13b6f9b2058a"
NORTHSTAR = "d45acb64-8bba-5d09-932e-361164bfb6b2"


def tenant_inputs(tenant_id: str, client_id: str) -> TenantInputs:
    tenant: dict[str, Any] = next(t for t in SCENARIO["tenants"] if t["tenantId"] == tenant_id)
    premium = bool(tenant["premium"])
    return TenantInputs(
        tenant_id=tenant_id,
        client_id=client_id,
        users=[EntraUser.model_validate(u) for u in tenant["users"]],
        complete=True,
        contacts=[PsaContact.model_validate(c) for c in SCENARIO["psa"]["contacts"] if c["clientId"] == client_id],
        facts=FactsInputs(
            sku_part_numbers={s["skuId"]: s["skuPartNumber"] for s in tenant["subscribedSkus"]},
            entra_p1=premium,
            mfa={r["id"]: MfaRegistration.model_validate(r) for r in tenant["userRegistrationDetails"]}
            if premium
            else None,
        ),
    )


def by_name(plan: TenantPlan) -> dict[str, UserPlan]:
    return {u.display_name or u.user_id: u for u in plan.users}


@pytest.fixture(scope="module")
def greenleaf() -> TenantPlan:
    return plan_tenant(tenant_inputs(GREENLEAF, "c-greenleaf"))


@pytest.fixture(scope="module")
def northstar() -> TenantPlan:
    return plan_tenant(tenant_inputs(NORTHSTAR, "c-northstar"))


def test_r7_3_greenleaf_outcomes(greenleaf: TenantPlan) -> None:
    outcomes = {name: u.outcome for name, u in by_name(greenleaf).items()}
    assert outcomes == {
        "Jordan Lee": Outcome.QUEUED,
        "Priya Patel": Outcome.CREATED,
        "Maya Abbott": Outcome.CREATED,
        "Sam Rivera": Outcome.LINKED,
        "Backup Service": Outcome.IGNORED,
        "No Reply": Outcome.IGNORED,
        "Old Temp": Outcome.IGNORED,
        "Vendor Guest": Outcome.IGNORED,
    }
    assert [u.user_id for u in greenleaf.users] == sorted(u.user_id for u in greenleaf.users)
    assert not greenleaf.held


def test_r3_3_jordan_lee_is_queued_with_both_greenleaf_contacts(greenleaf: TenantPlan) -> None:
    jordan = by_name(greenleaf)["Jordan Lee"]
    assert jordan.queue == ["k-gl-1", "k-gl-2"]
    assert jordan.create is None and jordan.link is None and not jordan.changes
    [ambiguity] = greenleaf.ambiguities
    assert (ambiguity.user_id, ambiguity.candidate_contact_ids) == (jordan.user_id, ["k-gl-1", "k-gl-2"])


def test_r4_2_sam_rivera_linked_with_phone_and_title_mobile_kept(greenleaf: TenantPlan) -> None:
    sam = by_name(greenleaf)["Sam Rivera"]
    assert (sam.contact_id, sam.link_to) == ("k-gl-3", "k-gl-3")
    assert sam.changes == {"phone": "+1 555 0199", "title": "Dentist"}
    assert sam.reason.startswith("matched primary email")
    assert sam.link is not None and sam.link.contact_id == "k-gl-3"
    assert sam.facts is not None and sam.facts.license == "Microsoft 365 Business Premium"
    assert sam.facts.licenses == ["O365_BUSINESS_ESSENTIALS", "SPB"]
    assert sam.facts.mfa_registered is False


def test_r4_1_priya_created_with_every_field_entra_has(greenleaf: TenantPlan) -> None:
    priya = by_name(greenleaf)["Priya Patel"]
    assert priya.create is not None and priya.create.client_id == "c-greenleaf"
    fields = priya.create.fields
    assert (fields.first_name, fields.last_name, fields.email) == (
        "Priya",
        "Patel",
        "priya.patel@greenleafdental.example",
    )
    assert (fields.mobile, fields.title, fields.department) == ("+1 555 0102", "Hygienist", "Clinical")


def test_r2_3_greenleaf_ignored_users_say_why(greenleaf: TenantPlan) -> None:
    users = by_name(greenleaf)
    assert users["Backup Service"].reason == r"excluded by pattern ^svc[-_.]"
    assert users["No Reply"].reason == r"excluded by pattern ^(no-?reply|do-?not-?reply)$"
    assert users["Old Temp"].reason == "disabled in Microsoft, never linked"
    assert users["Vendor Guest"].reason.startswith("guest")
    assert users["Maya Abbott"].outcome is Outcome.CREATED  # abbott@ is a person


def test_r7_3_greenleaf_writes_three(greenleaf: TenantPlan) -> None:
    assert greenleaf.writes == 3  # two creates, one update of Sam's contact (facts go with it)


def test_r3_3_northstar_alex_linked_others_created(northstar: TenantPlan) -> None:
    users = by_name(northstar)
    assert users["Alex Kim"].outcome is Outcome.LINKED and users["Alex Kim"].contact_id == "k-ns-1"
    assert users["Alex Kim"].changes == {"phone": "+1 555 0201"}
    for name in ("Dana Cho", "Lee Morgan", "Chris Talbot"):
        assert users[name].outcome is Outcome.CREATED, name
    assert northstar.ambiguities == []


def test_r4_4_northstar_without_p1_has_no_mfa_or_sign_in(northstar: TenantPlan) -> None:
    alex = by_name(northstar)["Alex Kim"]
    assert alex.facts is not None
    assert alex.facts.license == "Microsoft 365 Business Standard"
    assert (alex.facts.mfa_registered, alex.facts.last_sign_in) == (None, None)
    assert any("requires Entra ID P1" in note for note in alex.facts.notes)
