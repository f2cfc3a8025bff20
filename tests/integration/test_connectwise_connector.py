"""The ConnectWise PSA connector against the ConnectWise API fake over real HTTP (R4, R8): every request
it sends is checked against ConnectWise's spec at teardown; it never sends PUT, never patches
`communicationItems`, and never deletes."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest

from shared.devtools.psa_fakes import ConnectWiseFake
from shared.errors import PsaRefused, PsaUnavailable
from shared.models import ClientMicrosoftFacts, ContactFields, MicrosoftFacts
from shared.psa.connectwise import ConnectWiseConnector
from shared.psa.port import ContactChange, NewContact
from tests.integration.connector_support import ADDRESS, ann, checked, connected, connector_settings
from tests.integration.psa_fakes_http import spec
from tests.integration.psa_http import Recording

pytestmark = [pytest.mark.integration, pytest.mark.no_azurite]


@pytest.fixture
def fake() -> Iterator[ConnectWiseFake]:
    with checked(ConnectWiseFake(spec=spec("connectwise")), allow_put=False) as cw:  # PUT blanks what it does not send
        yield cw


@pytest.fixture
async def cw(fake: ConnectWiseFake, wire: Recording) -> AsyncIterator[ConnectWiseConnector]:
    settings = connector_settings(fake, entra_id_field="Entra Object ID")
    async with connected(ConnectWiseConnector, settings, wire) as connector:
        yield connector


def company(fake: ConnectWiseFake, name: str = "Northwind", **fields: Any) -> str:
    return str(fake.load(clients=[{"identifier": name.replace(" ", ""), "name": name, **fields}]).clients[0])


def stored(fake: ConnectWiseFake, contact_id: str) -> dict[str, Any]:
    return fake.entity("contact", int(contact_id))


ANN = ann(**ADDRESS, country="UK")


async def test_r4_1_a_created_contact_holds_every_field_connectwise_has(
    fake: ConnectWiseFake, cw: ConnectWiseConnector, wire: Recording
) -> None:
    fake.define_field("Entra Object ID")
    client_id = company(fake)
    fake.load(contacts=[{"firstName": "Someone", "company": {"id": int(client_id)}}])
    await cw.list_contacts(client_id)  # a pass lists first: the custom fields' ids are known
    wire.sent.clear()

    made = await cw.create_contact(client_id, ANN, entra_user_id="oid-ann")

    record = stored(fake, made.id)
    assert (record["firstName"], record["lastName"], record["company"]["id"]) == ("Ann", "Lee", int(client_id))
    assert (record["title"], record["addressLine1"], record["zip"]) == ("Buyer", "1 High St", "LS1 1AA")
    assert record["department"] is None  # a reference into ConnectWise's own table: not held (R8.1)
    items = {(i["type"]["name"], i["value"], i["defaultFlag"]) for i in record["communicationItems"]}
    assert items == {("Email", ANN.email, True), ("Direct", ANN.phone, True), ("Cell", ANN.mobile, False)}
    assert [f["value"] for f in record["customFields"] if f["caption"] == "Entra Object ID"] == ["oid-ann"]
    assert [m for m, _, _ in wire.sent] == ["POST"]
    [_, listed] = await cw.list_contacts(client_id)
    assert (listed.email, listed.phone, listed.mobile, listed.entra_user_id) == (
        ANN.email,
        ANN.phone,
        ANN.mobile,
        "oid-ann",
    )
    assert listed.country == "" and listed.department == "" and cw.capabilities.entra_id_field


async def test_r8_5_in_a_database_without_contacts_the_entra_id_field_is_learned_from_the_new_contact(
    fake: ConnectWiseFake, cw: ConnectWiseConnector, wire: Recording
) -> None:
    fake.define_field("Entra Object ID")
    client_id = company(fake)

    made = await cw.create_contact(client_id, ANN, entra_user_id="oid-ann")

    assert [m for m, _, _ in wire.sent] == ["GET", "POST", "PATCH"]  # nothing to learn the id from first
    assert [f["value"] for f in stored(fake, made.id)["customFields"]] == ["oid-ann"]
    assert made.entra_user_id == "oid-ann"


async def test_r8_5_the_entra_id_can_live_in_a_user_defined_field(fake: ConnectWiseFake, wire: Recording) -> None:
    client_id = company(fake)
    settings = connector_settings(fake, entra_id_field="userDefinedField3")
    async with connected(ConnectWiseConnector, settings, wire) as connector:
        made = await connector.create_contact(client_id, ANN, entra_user_id="oid-ann")
        [listed] = await connector.list_contacts(client_id)

    assert stored(fake, made.id)["userDefinedField3"] == "oid-ann" and listed.entra_user_id == "oid-ann"


async def test_r8_5_without_a_configured_field_capabilities_say_no_entra_id(fake: ConnectWiseFake) -> None:
    async with connected(ConnectWiseConnector, connector_settings(fake)) as connector:
        assert connector.capabilities.entra_id_field is False


async def test_lists_page_forward_only_by_page_id(fake: ConnectWiseFake, cw: ConnectWiseConnector) -> None:
    client_id = company(fake)
    other = company(fake, "Southwind")
    fake.load(
        contacts=[
            {"firstName": f"P{i}", "company": {"id": int(client_id)}, "inactiveFlag": i % 7 == 0} for i in range(2300)
        ]
    )
    fake.load(contacts=[{"firstName": "Not mine", "company": {"id": int(other)}}])

    contacts = await cw.list_contacts(client_id)

    assert len(contacts) == 2300 and len({c.id for c in contacts}) == 2300
    assert sum(not c.active for c in contacts) == len(range(0, 2300, 7))  # inactive ones are listed too
    pages = [r for r in fake.requests if r.path.endswith("/company/contacts")]
    assert [r.query.get("pageId") for r in pages] == [None, ["1000"], ["2000"]]
    assert all(r.query["pageSize"] == ["1000"] and r.query["conditions"] == [f"company/id={client_id}"] for r in pages)


async def test_r8_6_an_update_patches_only_the_changed_fields(
    fake: ConnectWiseFake, cw: ConnectWiseConnector, wire: Recording
) -> None:
    client_id = company(fake)
    made = await cw.create_contact(client_id, ANN, entra_user_id="oid-ann")
    await cw.list_contacts(client_id)
    wire.sent.clear()

    await cw.update_contact(client_id, made.id, {"title": "Head of Sales", "city": "York", "country": "France"})

    assert wire.bodies("PATCH") == [
        [
            {"op": "replace", "path": "title", "value": "Head of Sales"},
            {"op": "replace", "path": "city", "value": "York"},
        ]
    ]
    record = stored(fake, made.id)
    assert (record["title"], record["city"], record["lastName"], record["zip"]) == (
        "Head of Sales",
        "York",
        "Lee",
        "LS1 1AA",
    )


async def test_emails_and_phones_change_through_communications_never_by_patching_items(
    fake: ConnectWiseFake, cw: ConnectWiseConnector, wire: Recording
) -> None:
    client_id = company(fake)
    made = await cw.create_contact(
        client_id, ContactFields(first_name="Ann", email="ann@nw.example"), entra_user_id="o"
    )
    await cw.list_contacts(client_id)
    wire.sent.clear()

    await cw.update_contact(client_id, made.id, {"email": "ann.lee@nw.example", "phone": "+1 555 0100"})

    paths = [(m, p.split("/3.0/")[1]) for m, p, _ in wire.sent]
    assert paths[:2] == [
        ("PATCH", f"company/contacts/{made.id}/communications/1"),
        ("POST", f"company/contacts/{made.id}/communications"),
    ]
    assert all("communicationItems" not in str(body) for m, _, body in wire.sent if m == "PATCH")
    [listed] = await cw.list_contacts(client_id)
    assert (listed.email, listed.phone) == ("ann.lee@nw.example", "+1 555 0100")


async def test_r8_2_other_email_items_are_additional_emails_and_an_alias_becomes_primary_without_a_copy(
    fake: ConnectWiseFake, cw: ConnectWiseConnector
) -> None:
    client_id = company(fake)
    email = {"type": {"name": "Email"}}
    contact = fake.load(
        contacts=[
            {
                "firstName": "Bo",
                "company": {"id": int(client_id)},
                "communicationItems": [
                    {**email, "value": "bo@nw.example", "defaultFlag": True},
                    {**email, "value": "sales@nw.example"},
                ],
            }
        ]
    ).contacts[0]
    [listed] = await cw.list_contacts(client_id)

    await cw.update_contact(client_id, str(contact), {"email": "sales@nw.example"})

    assert listed.addresses() == ["bo@nw.example", "sales@nw.example"]
    items = [(i["value"], i["defaultFlag"]) for i in stored(fake, str(contact))["communicationItems"]]
    assert items == [("bo@nw.example", False), ("sales@nw.example", True)]


async def test_r8_3_inactivation_and_reactivation_patch_inactive_flag(
    fake: ConnectWiseFake, cw: ConnectWiseConnector
) -> None:
    client_id = company(fake)
    made = await cw.create_contact(client_id, ANN, entra_user_id="oid-ann")

    await cw.set_contact_active(client_id, made.id, False, "deleted-in-microsoft")
    [inactive] = await cw.list_contacts(client_id)
    await cw.set_contact_active(client_id, made.id, True, None)
    [active] = await cw.list_contacts(client_id)

    assert not inactive.active and active.active and stored(fake, made.id)["firstName"] == "Ann"


async def test_r8_4_facts_go_in_custom_fields_sent_whole_and_a_missing_one_is_a_note(
    fake: ConnectWiseFake, cw: ConnectWiseConnector, wire: Recording
) -> None:
    fake.define_field("Entra Object ID")
    fake.define_field("Azure License")
    fake.define_field("Azure MFA Status")
    fake.define_field("Microsoft Secure Score", entity="company")
    client_id = company(fake)
    made = await cw.create_contact(client_id, ANN, entra_user_id="oid-ann")
    await cw.list_contacts(client_id)
    wire.sent.clear()

    await cw.write_contact_facts(client_id, made.id, MicrosoftFacts(license="Business Premium", mfa_registered=False))
    await cw.write_client_facts(client_id, ClientMicrosoftFacts(secure_score=61.0))
    [listed] = await cw.list_contacts(client_id)
    notes = cw.take_notes(client_id)

    [contact_ops, company_ops] = wire.bodies("PATCH")
    assert [op["path"] for op in contact_ops] == ["customFields"]
    sent = {f["id"]: f["value"] for f in contact_ops[0]["value"]}
    assert sent == {1: "oid-ann", 2: "Business Premium", 3: "disabled"}  # the whole array, the Entra id kept
    assert listed.microsoft is not None and listed.microsoft.license == "Business Premium"
    assert listed.microsoft.mfa_registered is False and listed.entra_user_id == "oid-ann"
    assert company_ops[0]["value"] == [{"id": 4, "value": "61.0"}]
    assert cw.capabilities.contact_fact_fields == {"license", "mfa_registered"}
    assert any("'Azure MFA Methods'" in n for n in notes) and any("'Azure Active User Count'" in n for n in notes)


async def test_r3_5_a_refusal_is_the_vendors_message(fake: ConnectWiseFake, cw: ConnectWiseConnector) -> None:
    client_id = company(fake)

    with pytest.raises(PsaRefused, match="not a valid email"):
        await cw.create_contact(client_id, ANN.model_copy(update={"email": "not-an-email"}), entra_user_id="o")
    assert fake.contacts() == []


async def test_r8_7_a_throttle_waits_as_asked_and_never_fails_a_user(
    fake: ConnectWiseFake, cw: ConnectWiseConnector
) -> None:
    client_id = company(fake)
    fault = fake.fault(429, retry_after=1, times=1, method="POST")
    started = time.monotonic()

    made = await cw.create_contact(client_id, ANN, entra_user_id="oid-ann")

    assert fault.hits == 1 and made.id and time.monotonic() - started >= 1.0 and cw.stats.throttled == 1


async def test_r8_7_connectwises_own_limit_is_waited_out() -> None:
    with ConnectWiseFake(spec=spec("connectwise"), rate_limit=5, rate_window=1.0) as fake:
        client_id = company(fake)
        async with connected(ConnectWiseConnector, connector_settings(fake, retry_attempts=8)) as connector:
            made = [
                await connector.create_contact(client_id, ContactFields(first_name=f"P{i}"), entra_user_id=f"o{i}")
                for i in range(12)
            ]
        fake.assert_conformant()

    assert fake.throttled > 0 and len(made) == 12 and len(fake.contacts()) == 12


async def test_r8_7_an_outage_past_the_retries_is_unavailable(fake: ConnectWiseFake, cw: ConnectWiseConnector) -> None:
    client_id = company(fake)
    fault = fake.fault(503, times=None, path_prefix="/company/contacts")

    with pytest.raises(PsaUnavailable):
        await cw.list_contacts(client_id)

    assert fault.hits == 3


async def test_create_client_returns_the_existing_company_and_needs_an_identifier(
    fake: ConnectWiseFake, cw: ConnectWiseConnector
) -> None:
    company(fake, "Northwind Traders")
    fake.load(clients=[{"identifier": "Contoso", "name": "Contoso Old"}])

    found = await cw.create_client("Northwind Traders", website=None, domains=[])
    made = await cw.create_client("Contoso", website="contoso.example", domains=[])

    assert found.id == "1" and made.website == "contoso.example"
    assert [c["identifier"] for c in fake.clients()] == ["NorthwindTraders", "Contoso", "Contoso2"]


async def test_bulk_a_create_carries_its_facts_and_a_contacts_items_are_one_patch(
    fake: ConnectWiseFake, cw: ConnectWiseConnector, wire: Recording
) -> None:
    fake.define_field("Entra Object ID")
    fake.define_field("Azure License")
    client_id = company(fake)
    fake.load(contacts=[{"firstName": "Someone", "company": {"id": int(client_id)}}])
    await cw.list_contacts(client_id)
    wire.sent.clear()

    [made] = await cw.create_contacts(client_id, [NewContact("oid-ann", ANN, MicrosoftFacts(license="Business Basic"))])
    assert not isinstance(made, Exception)
    results = await cw.change_contacts(
        client_id,
        [
            ContactChange(contact_id=made.id, changes={"title": "Chair"}, active=False),
            ContactChange(contact_id=made.id, facts=MicrosoftFacts(license="Business Premium")),
        ],
    )

    assert results == [None, None] and [m for m, _, _ in wire.sent] == ["POST", "PATCH"]
    [ops] = wire.bodies("PATCH")
    assert [op["path"] for op in ops] == ["title", "inactiveFlag", "customFields"]
    record = stored(fake, made.id)
    assert {f["caption"]: f["value"] for f in record["customFields"]} == {
        "Entra Object ID": "oid-ann",
        "Azure License": "Business Premium",
    }
    assert (record["title"], record["inactiveFlag"]) == ("Chair", True)
