"""The HaloPSA connector against the HaloPSA API fake over real HTTP (R4, R8): every request it sends
is checked against Halo's published spec at teardown, and nothing is ever deleted."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest

from shared.devtools.psa_fakes import HaloFake
from shared.errors import PsaRefused, PsaUnavailable
from shared.models import ClientMicrosoftFacts, ContactFields
from shared.psa.halopsa import HaloConnector
from shared.psa.port import ContactChange, NewContact
from tests.integration.connector_support import ADDRESS, ann, checked, connected, connector_settings, facts, stored
from tests.integration.psa_fakes_http import spec
from tests.integration.psa_http import Recording

pytestmark = [pytest.mark.integration, pytest.mark.no_azurite]

FACT_FIELDS = ("CFazureLicense", "CFazureMfaStatus", "CFazureMfaMethods", "CFazureLastActivity")


@pytest.fixture
def fake() -> Iterator[HaloFake]:
    with checked(HaloFake(spec=spec("halopsa"), rate_limit=None)) as halo:
        yield halo


@pytest.fixture
async def halo(fake: HaloFake, wire: Recording) -> AsyncIterator[HaloConnector]:
    async with connected(HaloConnector, connector_settings(fake), wire) as connector:
        yield connector


def client(fake: HaloFake, name: str = "Northwind", **fields: Any) -> str:
    return str(fake.load(clients=[{"name": name, **fields}]).clients[0])


def user_posts(wire: Recording) -> list[Any]:
    return [body for method, path, body in wire.sent if method == "POST" and path == "/api/Users"]


ANN = ann(**ADDRESS, country="UK", office_location="Leeds 2")
FACTS = facts()


async def test_r4_1_a_created_user_holds_every_field_halo_has_on_the_clients_main_site(
    fake: HaloFake, halo: HaloConnector, wire: Recording
) -> None:
    client_id = client(fake)

    made = await halo.create_contact(client_id, ANN, entra_user_id="oid-ann")

    record = stored(fake, made.id)
    assert (record["firstname"], record["surname"], record["name"]) == ("Ann", "Lee", "Ann Lee")
    assert record["site_id"] == fake.clients()[0]["main_site_id"] and record["client_id"] == int(client_id)
    assert (record["emailaddress"], record["phonenumber"], record["mobilenumber"]) == (ANN.email, ANN.phone, ANN.mobile)
    assert (record["title"], record["department"], record["azureoid"]) == ("Buyer", "Sales", "oid-ann")
    assert record["primary_address"] == {
        "line1": "1 High St",
        "line2": None,
        "line3": "Leeds",
        "line4": "West Yorkshire",
        "postcode": "LS1 1AA",
    }
    assert fake.automations_fired == 0  # every write carries _dont_fire_automations
    [listed] = await halo.list_contacts(client_id)
    assert (listed.entra_user_id, listed.city, listed.postal_code) == ("oid-ann", "Leeds", "LS1 1AA")
    assert listed.country == "" and listed.office_location == ""  # Halo cannot hold them (R8.1)


async def test_lists_page_to_the_record_count_including_inactive_users(fake: HaloFake, wire: Recording) -> None:
    client_id = client(fake)
    other = client(fake, "Southwind")
    people = [{"client_id": int(client_id), "name": f"P {i:03}", "inactive": i % 10 == 0} for i in range(23)]
    fake.load(contacts=[*people, {"client_id": int(other), "name": "Not mine"}])
    async with connected(HaloConnector, connector_settings(fake, page_size=5), wire) as connector:
        contacts = await connector.list_contacts(client_id)

    assert len(contacts) == 23 and sum(not c.active for c in contacts) == 3
    pages = [r for r in fake.requests if r.path == "/api/Users" and r.method == "GET"]
    assert [r.query["page_no"] for r in pages] == [["1"], ["2"], ["3"], ["4"], ["5"]]
    assert all(r.query["includeinactive"] == ["true"] and r.query["pageinate"] == ["true"] for r in pages)


async def test_r1_3_clients_website_and_domain_are_both_primary_domains(fake: HaloFake, halo: HaloConnector) -> None:
    client(fake, "Contoso", website="https://www.contoso.example", domain="contoso.example")

    [listed] = await halo.list_clients()

    assert listed.website == "https://www.contoso.example" and listed.domains == ["contoso.example"]
    assert halo.capabilities.client_website


async def test_r8_6_an_update_sends_only_the_changed_keys(fake: HaloFake, halo: HaloConnector, wire: Recording) -> None:
    client_id = client(fake)
    made = await halo.create_contact(client_id, ANN, entra_user_id="oid-ann")
    before = stored(fake, made.id)
    wire.sent.clear()

    await halo.update_contact(client_id, made.id, {"phone": "+44 20 7946 1111", "country": "France"})

    assert user_posts(wire) == [
        [{"id": int(made.id), "_dont_fire_automations": True, "phonenumber": "+44 20 7946 1111"}]
    ]
    after = stored(fake, made.id)
    assert {k: v for k, v in after.items() if k != "phonenumber"} == {
        k: v for k, v in before.items() if k != "phonenumber"
    }


async def test_r8_6_a_changed_city_sends_the_address_it_belongs_to(
    fake: HaloFake, halo: HaloConnector, wire: Recording
) -> None:
    client_id = client(fake)
    made = await halo.create_contact(client_id, ANN, entra_user_id="oid-ann")
    wire.sent.clear()

    await halo.update_contact(client_id, made.id, {"city": "York", "first_name": "Anne"})

    [[body]] = user_posts(wire)
    assert body["primary_address"] == {
        "line1": "1 High St",
        "line3": "York",
        "line4": "West Yorkshire",
        "postcode": "LS1 1AA",
    }
    assert (body["firstname"], body["surname"], body["name"]) == ("Anne", "Lee", "Anne Lee")
    assert set(body) == {"id", "_dont_fire_automations", "primary_address", "firstname", "surname", "name"}


async def test_r8_3_inactivation_and_reactivation_use_the_inactive_flag(fake: HaloFake, halo: HaloConnector) -> None:
    client_id = client(fake)
    made = await halo.create_contact(client_id, ANN, entra_user_id="oid-ann")

    await halo.set_contact_active(client_id, made.id, False, "disabled-in-microsoft")
    [inactive] = await halo.list_contacts(client_id)
    await halo.set_contact_active(client_id, made.id, True, None)
    [active] = await halo.list_contacts(client_id)

    assert not inactive.active and active.active
    assert stored(fake, made.id)["name"] == "Ann Lee"  # never renamed or emptied


async def test_r8_2_email2_and_email3_are_additional_emails(fake: HaloFake, halo: HaloConnector) -> None:
    client_id = client(fake)
    fake.load(
        contacts=[
            {
                "client_id": int(client_id),
                "name": "Bo",
                "emailaddress": "bo@nw.example",
                "email2": "sales@nw.example",
                "email3": "b.o@nw.example",
            }
        ]
    )

    [listed] = await halo.list_contacts(client_id)

    assert listed.addresses() == ["bo@nw.example", "sales@nw.example", "b.o@nw.example"]


async def test_r8_4_facts_go_in_the_named_custom_fields_and_a_missing_one_is_a_note(
    fake: HaloFake, halo: HaloConnector
) -> None:
    client_id = client(fake)
    for name in FACT_FIELDS[:3]:  # no CFazureLastActivity
        fake.define_field(name)
    fake.define_field("CFmicrosoftSecureScore", table="Area")
    await halo.list_contacts(client_id)  # reads /FieldInfo

    [made] = await halo.create_contacts(client_id, [NewContact("oid-ann", ANN, FACTS)])
    await halo.write_client_facts(client_id, ClientMicrosoftFacts(secure_score=52.5, licensed_users=7))
    [listed] = await halo.list_contacts(client_id)
    notes = halo.take_notes(client_id)

    assert not isinstance(made, Exception)
    values = {f["name"]: f["value"] for f in stored(fake, made.id)["customfields"]}
    assert values == {
        "CFazureLicense": "Microsoft 365 Business Premium",
        "CFazureMfaStatus": "enabled",
        "CFazureMfaMethods": "microsoftAuthenticatorPush, sms",
    }
    kept = halo.capabilities.contact_fact_fields
    assert kept == {"license", "mfa_registered", "mfa_methods"}
    assert listed.microsoft is not None
    assert listed.microsoft.model_dump(include=set(kept)) == FACTS.model_dump(include=set(kept))
    assert fake.clients()[0]["customfields"][0]["value"] == "52.5"
    assert halo.capabilities.client_fact_fields == {"secure_score"}
    assert sum("CFazureLastActivity" in n for n in notes) == 1 and all("HaloPSA has no" in n for n in notes)
    assert halo.take_notes(client_id) == []  # each said once per run


async def test_bulk_creates_and_changes_travel_as_arrays_of_batch_size(fake: HaloFake, wire: Recording) -> None:
    client_id = client(fake)
    new = [
        NewContact(f"oid-{i}", ContactFields(first_name=f"P{i}", last_name="Lee", email=f"p{i}@nw.example"))
        for i in range(10)
    ]
    async with connected(HaloConnector, connector_settings(fake, batch_size=4), wire) as connector:
        assert connector.capabilities.bulk
        made = await connector.create_contacts(client_id, new)
        wire.sent.clear()
        changed = await connector.change_contacts(
            client_id,
            [
                *[
                    ContactChange(contact_id=m.id, changes={"title": "Staff"})
                    for m in made
                    if not isinstance(m, Exception)
                ],
                ContactChange(contact_id=made[0].id, active=False),  # type: ignore[union-attr]
            ],
        )

    assert [m.entra_user_id for m in made if not isinstance(m, Exception)] == [f"oid-{i}" for i in range(10)]
    assert changed == [None] * 11
    assert [len(body) for body in user_posts(wire)] == [4, 4, 2]  # the first contact's two items are one
    assert stored(fake, made[0].id)["inactive"] is True  # type: ignore[union-attr]
    assert {u["title"] for u in fake.contacts()} == {"Staff"}


async def test_r3_5_a_refused_item_of_an_array_fails_alone_and_nothing_is_created_twice(
    fake: HaloFake, halo: HaloConnector, wire: Recording
) -> None:
    client_id = client(fake)
    good = [NewContact(f"oid-{i}", ContactFields(first_name=f"P{i}", email=f"p{i}@nw.example")) for i in range(3)]
    nameless = NewContact("oid-x", ContactFields())  # Halo refuses a user without a name

    results = await halo.create_contacts(client_id, [good[0], nameless, *good[1:]])

    assert isinstance(results[1], PsaRefused) and "name" in str(results[1])
    assert [r.entra_user_id for r in results if not isinstance(r, Exception)] == ["oid-0", "oid-1", "oid-2"]
    assert sorted(u["azureoid"] for u in fake.contacts()) == ["oid-0", "oid-1", "oid-2"]


async def test_r8_7_a_throttle_without_retry_after_is_backed_off_and_never_fails_a_user(
    fake: HaloFake, halo: HaloConnector
) -> None:
    client_id = client(fake)
    fault = fake.fault(429, times=2, path_prefix="/api/Users", method="POST")

    made = await halo.create_contact(client_id, ANN, entra_user_id="oid-ann")

    assert fault.hits == 2 and made.id and halo.stats.throttled == 2 and len(fake.contacts()) == 1


async def test_r8_7_halos_rolling_window_is_respected_by_the_pacing() -> None:
    with HaloFake(spec=spec("halopsa"), rate_limit=8, rate_window=2.0) as fake:
        client_id = client(fake)
        settings = connector_settings(fake, rate_limit_requests=8, rate_window_seconds=2.0, batch_size=1)
        async with connected(HaloConnector, settings) as connector:
            new = [
                NewContact(f"oid-{i}", ContactFields(first_name=f"P{i}", email=f"p{i}@nw.example")) for i in range(8)
            ]
            started = time.monotonic()
            results = await connector.create_contacts(client_id, new)
        fake.assert_conformant()

    assert all(not isinstance(r, Exception) for r in results) and len(fake.contacts()) == 8
    assert fake.throttled == 0 and time.monotonic() - started >= 2.0  # 11 requests never more than 8 in 2 s


async def test_r8_7_an_outage_past_the_retries_is_unavailable(fake: HaloFake, halo: HaloConnector) -> None:
    client_id = client(fake)
    fault = fake.fault(503, times=None, path_prefix="/api/Users")

    with pytest.raises(PsaUnavailable):
        await halo.list_contacts(client_id)

    assert fault.hits == 3


async def test_ten_concurrent_calls_fetch_one_token(fake: HaloFake, halo: HaloConnector) -> None:
    client(fake)

    await asyncio.gather(*[halo.list_clients() for _ in range(10)])

    assert fake.token_requests == 1 and halo.tokens.fetches == 1


async def test_an_expired_token_is_renewed_before_it_is_used() -> None:
    with HaloFake(spec=spec("halopsa"), token_lifetime=1.0) as fake:
        async with connected(HaloConnector, connector_settings(fake)) as connector:
            await connector.list_clients()
            await asyncio.sleep(1.1)
            await connector.list_clients()
        fake.assert_conformant()

    assert fake.token_requests == 2 and fake.throttled == 0
    assert all(r.status == 200 for r in fake.requests)  # renewed before it ran out: no 401 on the way


async def test_a_token_halo_ends_early_is_renewed_once_and_the_request_goes_through(
    fake: HaloFake, halo: HaloConnector
) -> None:
    client(fake)
    await halo.list_clients()
    fake.expire_tokens()

    assert len(await halo.list_clients()) == 1
    assert fake.token_requests == 2 and [r.status for r in fake.requests].count(401) == 1


async def test_create_client_returns_the_existing_client_of_that_name(fake: HaloFake, halo: HaloConnector) -> None:
    client(fake, "Northwind Traders")

    found = await halo.create_client("northwind traders", website="nw.example", domains=[])
    made = await halo.create_client("Contoso", website="contoso.example", domains=["contoso.example"])

    assert found.id == fake.clients()[0]["id"].__str__() and len(fake.clients()) == 2
    assert (made.website, fake.clients()[1]["domain"]) == ("contoso.example", "contoso.example")


async def test_r8_4_a_field_halo_refuses_on_users_is_dropped_with_a_note_and_the_user_does_not_fail(
    fake: HaloFake, halo: HaloConnector, wire: Recording
) -> None:
    client_id = client(fake)
    fake.define_field("CFazureLicense", table="Area")  # /FieldInfo lists it, but not for users
    made = await halo.create_contact(client_id, ANN, entra_user_id="oid-ann")
    wire.sent.clear()

    await halo.write_contact_facts(client_id, made.id, FACTS)
    notes = halo.take_notes(client_id)

    [refused] = [r.status for r in fake.requests[-1:] if (r.method, r.path) == ("POST", "/api/Users")]
    assert refused == 400 and len(user_posts(wire)) == 1  # nothing else to write: no second request
    assert "license" not in halo.capabilities.contact_fact_fields  # not planned again for a while
    assert any("'CFazureLicense'" in note for note in notes)
