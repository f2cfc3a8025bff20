"""Settling an ambiguity (R6.2): the pure part."""

from __future__ import annotations

import pytest

from shared.models import Ambiguity, AmbiguityStatus, ContactLink, EntraUser, FieldControls, Outcome, PsaContact
from shared.sync.resolve import ResolveRefused, resolve_to_existing, resolve_to_new, resolved

JORDAN = EntraUser(
    id="u1",
    given_name="Jordan",
    surname="Lee",
    mail="jordan@x.example",
    job_title="Office Manager",
    business_phones=["+1 555 0101"],
)
K1 = PsaContact(
    id="k1", client_id="c", first_name="Jordan", last_name="Lee", email="jordan@x.example", title="Office Manager"
)
OPEN = Ambiguity(tenant_id="t", user_id="u1", candidate_contact_ids=["k1", "k2"])


def test_r6_2_resolve_to_existing_links_and_applies_r4_2_at_once() -> None:
    plan = resolve_to_existing(JORDAN, K1, tenant_id="t", client_id="c", controls=FieldControls())
    assert (plan.outcome, plan.contact_id, plan.link_to) == (Outcome.LINKED, "k1", "k1")
    assert plan.changes == {"phone": "+1 555 0101"}
    assert plan.link is not None
    assert (plan.link.tenant_id, plan.link.user_id, plan.link.contact_id, plan.link.client_id) == ("t", "u1", "k1", "c")


def test_r6_2_resolve_to_a_contact_of_another_client_is_refused() -> None:
    other = K1.model_copy(update={"client_id": "c-other"})
    with pytest.raises(ResolveRefused, match="not a contact of client c"):
        resolve_to_existing(JORDAN, other, tenant_id="t", client_id="c", controls=FieldControls())


def test_r6_2_resolve_to_a_contact_linked_to_another_user_is_refused() -> None:
    taken = [ContactLink(tenant_id="t", user_id="u2", contact_id="k1", client_id="c")]
    with pytest.raises(ResolveRefused, match="already linked"):
        resolve_to_existing(JORDAN, K1, tenant_id="t", client_id="c", controls=FieldControls(), links=taken)
    own = [ContactLink(tenant_id="t", user_id="u1", contact_id="k1", client_id="c")]
    assert resolve_to_existing(JORDAN, K1, tenant_id="t", client_id="c", controls=FieldControls(), links=own)


def test_r6_2_resolve_to_new_creates() -> None:
    plan = resolve_to_new(JORDAN, tenant_id="t", client_id="c")
    assert plan.outcome is Outcome.CREATED and plan.create is not None
    assert plan.create.fields.email == "jordan@x.example" and plan.create.client_id == "c"


def test_r6_2_resolved_row_records_the_resolution() -> None:
    existing = resolve_to_existing(JORDAN, K1, tenant_id="t", client_id="c", controls=FieldControls())
    row = resolved(OPEN, existing, by="ops@msp.example")
    assert (row.status, row.resolution, row.contact_id, row.resolved_by) == (
        AmbiguityStatus.RESOLVED,
        "existing",
        "k1",
        "ops@msp.example",
    )
    new = resolved(OPEN, resolve_to_new(JORDAN, tenant_id="t", client_id="c"), by="ops", contact_id="k9")
    assert (new.resolution, new.contact_id, new.candidate_contact_ids) == ("new", "k9", ["k1", "k2"])
