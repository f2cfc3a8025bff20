"""The Alga PSA connector against the Alga API fake over real HTTP (R3.5, R4, R8): every request it
sends is checked against Alga's published spec (and its strict bodies) at teardown."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest

from shared.devtools.psa_fakes import AlgaFake
from shared.errors import PsaRefused, PsaUnavailable
from shared.models import ClientMicrosoftFacts, ContactFields, MicrosoftFacts
from shared.psa.alga import AlgaConnector
from shared.psa.port import ContactChange, NewContact
from tests.integration.connector_support import ann, checked, connected, connector_settings, stored
from tests.integration.psa_http import Recording

pytestmark = [pytest.mark.integration, pytest.mark.no_azurite]


@pytest.fixture
def fake() -> Iterator[AlgaFake]:
    with checked(AlgaFake()) as alga:
        yield alga


@pytest.fixture
async def alga(fake: AlgaFake, wire: Recording) -> AsyncIterator[AlgaConnector]:
    async with connected(AlgaConnector, connector_settings(fake), wire) as connector:
        yield connector


def client(fake: AlgaFake, name: str = "Northwind", **fields: Any) -> str:
    return fake.load(clients=[{"client_name": name, "billing_cycle": "monthly", **fields}]).clients[0]


ANN = ann(last_name="Lee Smith")


async def test_r4_1_a_created_contact_holds_every_field_alga_has(
    fake: AlgaFake, alga: AlgaConnector, wire: Recording
) -> None:
    client_id = client(fake)

    made = await alga.create_contact(client_id, ANN, entra_user_id="u1")

    record = stored(fake, made.id)
    assert (record["full_name"], record["email"], record["role"]) == ("Ann Lee Smith", ANN.email, "Buyer")
    assert [(p["phone_number"], p["canonical_type"]) for p in record["phone_numbers"]] == [
        (ANN.phone, "work"),
        (ANN.mobile, "mobile"),
    ]
    assert [m for m, _, _ in wire.sent] == ["POST"]
    [listed] = await alga.list_contacts(client_id)
    assert (listed.first_name, listed.last_name, listed.phone, listed.mobile, listed.title) == (
        "Ann",
        "Lee Smith",
        ANN.phone,
        ANN.mobile,
        "Buyer",
    )
    assert listed.department == "" and listed.city == ""  # Alga cannot hold them (R8.1)


async def test_lists_page_to_the_last_page_and_include_inactive_contacts(
    fake: AlgaFake, alga: AlgaConnector, wire: Recording
) -> None:
    client_id, other = client(fake), client(fake, "Fabrikam")
    people = [{"client_id": client_id, "full_name": f"P {i}", "email": f"p{i}@nw.example"} for i in range(130)]
    people.append({"client_id": client_id, "full_name": "Gone", "email": "gone@nw.example", "is_inactive": True})
    people.append({"client_id": other, "full_name": "Else", "email": "else@fabrikam.example"})
    fake.load(contacts=people)

    contacts = await alga.list_contacts(client_id)

    assert len(contacts) == 131 and len({c.id for c in contacts}) == 131
    assert [c.active for c in contacts if c.email == "gone@nw.example"] == [False]
    pages = [path for m, path, _ in wire.sent if m == "GET"]
    assert pages == ["/api/v1/contacts", "/api/v1/contacts"]


async def test_r8_2_additional_emails_are_read_for_matching(fake: AlgaFake, alga: AlgaConnector) -> None:
    client_id = client(fake)
    fake.load(
        contacts=[
            {
                "client_id": client_id,
                "full_name": "Jordan",
                "email": "jordan@nw.example",
                "additional_email_addresses": [{"email_address": "j.lee@nw.example"}],
            }
        ]
    )

    [contact] = await alga.list_contacts(client_id)

    assert contact.additional_emails == ["j.lee@nw.example"]
    assert alga.capabilities.additional_emails


async def test_r8_6_an_update_sends_only_the_changed_keys(fake: AlgaFake, alga: AlgaConnector, wire: Recording) -> None:
    client_id = client(fake)
    made = await alga.create_contact(client_id, ANN, entra_user_id="u1")
    before = stored(fake, made.id)
    wire.sent.clear()

    await alga.update_contact(client_id, made.id, {"title": "Head buyer", "department": "Ops"})
    await alga.update_contact(client_id, made.id, {"mobile": "+44 7700 900999"})

    puts = wire.bodies("PUT")
    assert puts[0] == {"role": "Head buyer"}
    assert list(puts[1]) == ["phone_numbers"]  # a list sent replaces the list: the whole list, once
    after = stored(fake, made.id)
    assert [(p["phone_number"], p["canonical_type"]) for p in after["phone_numbers"]] == [
        (ANN.phone, "work"),
        ("+44 7700 900999", "mobile"),
    ]
    assert after["phone_numbers"][0]["contact_phone_number_id"] == before["phone_numbers"][0]["contact_phone_number_id"]
    assert after["full_name"] == before["full_name"] and after["email"] == before["email"]


async def test_r8_6_a_new_primary_email_goes_by_algas_promotion_rule(fake: AlgaFake, alga: AlgaConnector) -> None:
    client_id = client(fake)
    made = await alga.create_contact(client_id, ANN, entra_user_id="u1")

    await alga.update_contact(client_id, made.id, {"email": "ann.smith@northwind.example"})

    record = stored(fake, made.id)
    assert record["email"] == "ann.smith@northwind.example"
    assert [e["email_address"] for e in record["additional_email_addresses"]] == [ANN.email]  # demoted, kept


async def test_r3_5_an_email_held_in_another_client_fails_that_user_only(fake: AlgaFake, alga: AlgaConnector) -> None:
    client_id, other = client(fake), client(fake, "Fabrikam")
    [holder] = fake.load(contacts=[{"client_id": other, "full_name": "Ann", "email": ANN.email}]).contacts
    bob = ContactFields(first_name="Bob", email="bob@northwind.example")

    results = await alga.create_contacts(client_id, [NewContact("u1", ANN), NewContact("u2", bob)])

    assert isinstance(results[0], PsaRefused) and results[0].status == 409
    assert "already exists" in str(results[0]) and holder in str(results[0]) and other in str(results[0])
    assert not isinstance(results[1], Exception)
    assert [c["email"] for c in fake.contacts() if c["client_id"] == client_id] == ["bob@northwind.example"]


async def test_r3_5_a_lookup_never_blames_a_contact_whose_email_only_contains_the_address(
    fake: AlgaFake, alga: AlgaConnector
) -> None:
    client_id, other = client(fake), client(fake, "Fabrikam")
    fake.load(contacts=[{"client_id": other, "full_name": "Jo Ann", "email": "joann@northwind.example"}])
    fake.load(
        contacts=[
            {
                "client_id": other,
                "full_name": "Shared",
                "email": "desk@northwind.example",
                "additional_email_addresses": [{"email_address": ANN.email}],
            }
        ]
    )

    [refused] = await alga.create_contacts(client_id, [NewContact("u1", ANN)])

    assert isinstance(refused, PsaRefused) and refused.status == 409
    assert "joann" not in str(refused)  # the substring filter found Jo Ann; equality did not


async def test_r5_1_r5_3_inactivate_and_reactivate_with_algas_flag(fake: AlgaFake, alga: AlgaConnector) -> None:
    client_id = client(fake)
    made = await alga.create_contact(client_id, ANN, entra_user_id="u1")

    await alga.set_contact_active(client_id, made.id, False, "disabled-in-microsoft")
    [inactive] = await alga.list_contacts(client_id)
    await alga.set_contact_active(client_id, made.id, True, None)
    [active] = await alga.list_contacts(client_id)

    assert not inactive.active and active.active
    assert stored(fake, made.id)["full_name"] == "Ann Lee Smith"


async def test_a_contacts_change_and_activation_go_in_one_request_and_facts_in_none(
    fake: AlgaFake, alga: AlgaConnector, wire: Recording
) -> None:
    client_id = client(fake)
    made = await alga.create_contact(client_id, ANN, entra_user_id="u1")
    wire.sent.clear()

    results = await alga.change_contacts(
        client_id,
        [
            ContactChange(
                contact_id=made.id, changes={"title": "Lead"}, active=False, inactive_reason="deleted-in-microsoft"
            ),
            ContactChange(contact_id=made.id, facts=MicrosoftFacts(license="Microsoft 365 Business Basic")),
        ],
    )

    assert results == [None, None]
    assert wire.bodies("PUT") == [{"role": "Lead", "is_inactive": True}]
    assert not alga.capabilities.contact_facts  # nowhere in Alga for a contact's facts


async def test_r8_4_client_facts_go_in_the_clients_properties(fake: AlgaFake, alga: AlgaConnector) -> None:
    client_id = client(fake, properties={"industry": "Retail"})

    await alga.write_client_facts(
        client_id, ClientMicrosoftFacts(secure_score=52.5, secure_score_max=80, licensed_users=12, active_users=9)
    )

    found = await alga.get_client(client_id)
    assert found is not None and found.microsoft is not None
    assert found.microsoft.model_dump(exclude={"updated_at"}, by_alias=False) == {
        "secure_score": 52.5,
        "secure_score_max": 80,
        "licensed_users": 12,
        "active_users": 9,
    }
    assert fake.clients()[0]["properties"]["industry"] == "Retail"  # Alga's own keys are kept


async def test_r1_6_importing_a_tenant_as_a_client_twice_makes_one(fake: AlgaFake, alga: AlgaConnector) -> None:
    first = await alga.create_client("Contoso", website="contoso.example", domains=["contoso.example"])
    second = await alga.create_client("Contoso", website="contoso.example", domains=["contoso.example"])

    assert first.id == second.id and first.website == "https://contoso.example"
    assert [c["billing_cycle"] for c in fake.clients()] == ["monthly"]


async def test_r8_7_a_throttle_waits_as_alga_asks_and_succeeds(fake: AlgaFake, alga: AlgaConnector) -> None:
    client_id = client(fake)
    fault = fake.fault(429, retry_after=1, times=1, path_prefix="/contacts")
    started = time.monotonic()

    assert await alga.list_contacts(client_id) == []

    assert fault.hits == 1 and time.monotonic() - started >= 1.0
    assert alga.stats.throttled == 1


async def test_r8_7_paced_under_algas_bucket_nothing_is_throttled() -> None:
    with AlgaFake(burst=10, per_minute=600) as fake:
        async with connected(AlgaConnector, connector_settings(fake, rate_limit_per_minute=600, burst=10)) as connector:
            client_id = client(fake)
            new = [NewContact(f"u{i}", ContactFields(first_name=f"P{i}", email=f"p{i}@nw.example")) for i in range(30)]
            results = await connector.create_contacts(client_id, new)
        fake.assert_conformant()

    assert all(not isinstance(r, Exception) for r in results)
    assert fake.throttled == 0 and connector.stats.throttled == 0
    assert connector.stats.paced_seconds > 1.0  # the limiter, not the vendor, held the pace


async def test_r8_7_an_outage_past_the_retries_is_unavailable(fake: AlgaFake, alga: AlgaConnector) -> None:
    client_id = client(fake)
    fault = fake.fault(503, times=None, method="POST")

    with pytest.raises(PsaUnavailable):
        await alga.create_contacts(client_id, [NewContact("u1", ANN)])

    assert fault.hits == 3 and fake.contacts() == []
