"""The Autotask connector against the Autotask API fake over real HTTP (R4, R8): every request it sends
is checked against Autotask's spec at teardown; it never sends PUT (which nulls what it does not
send) and never deletes."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest

from shared.devtools.psa_fakes import AutotaskFake
from shared.errors import PsaRefused, PsaUnavailable
from shared.models import ClientMicrosoftFacts, ContactFields, MicrosoftFacts
from shared.psa.autotask import AutotaskConnector
from shared.psa.port import ContactChange, NewContact
from tests.integration.connector_support import ADDRESS, ann, checked, connected, connector_settings, stored
from tests.integration.psa_fakes_http import spec
from tests.integration.psa_http import Recording

pytestmark = [pytest.mark.integration, pytest.mark.no_azurite]


@pytest.fixture
def fake() -> Iterator[AutotaskFake]:
    username = f"api{time.monotonic_ns()}@nw.example"
    with checked(AutotaskFake(spec=spec("autotask"), username=username), allow_put=False) as at:
        yield at


@pytest.fixture
async def autotask(fake: AutotaskFake, wire: Recording) -> AsyncIterator[AutotaskConnector]:
    async with connected(AutotaskConnector, connector_settings(fake), wire) as connector:
        yield connector


def company(fake: AutotaskFake, name: str = "Northwind", **fields: Any) -> str:
    return str(fake.load(clients=[{"companyName": name, "companyType": 1, **fields}]).clients[0])


ANN = ann(**ADDRESS)


async def test_r4_1_a_created_contact_holds_every_field_autotask_has(
    fake: AutotaskFake, autotask: AutotaskConnector, wire: Recording
) -> None:
    client_id = company(fake)

    made = await autotask.create_contact(client_id, ANN, entra_user_id="oid-ann")

    record = stored(fake, made.id)
    assert (record["firstName"], record["lastName"], record["companyID"], record["isActive"]) == ("Ann", "Lee", 1, 1)
    assert (record["emailAddress"], record["phone"], record["mobilePhone"]) == (ANN.email, ANN.phone, ANN.mobile)
    assert (record["addressLine"], record["city"], record["zipCode"], record["externalID"]) == (
        "1 High St",
        "Leeds",
        "LS1 1AA",
        "oid-ann",
    )
    assert [(m, p) for m, p, _ in wire.sent] == [
        ("GET", "/ATServicesRest/V1.0/zoneInformation"),
        ("POST", f"/ATServicesRest/V1.0/Companies/{client_id}/Contacts"),
    ]
    [listed] = await autotask.list_contacts(client_id)
    assert (listed.entra_user_id, listed.mobile, listed.department) == ("oid-ann", ANN.mobile, "")


async def test_the_zone_is_found_once_and_every_request_has_the_three_headers(
    fake: AutotaskFake, autotask: AutotaskConnector
) -> None:
    client_id = company(fake)

    await asyncio.gather(*[autotask.list_contacts(client_id) for _ in range(5)])
    await autotask.list_clients()

    assert fake.zone_lookups == 1
    assert all(r.status == 200 for r in fake.requests)  # a request without the headers would be 401


async def test_a_contact_without_a_surname_gets_the_placeholder_autotask_requires(
    fake: AutotaskFake, autotask: AutotaskConnector
) -> None:
    client_id = company(fake)

    made = await autotask.create_contact(
        client_id, ContactFields(first_name="Cher", email="cher@nw.example"), entra_user_id="o"
    )
    [listed] = await autotask.list_contacts(client_id)

    assert stored(fake, made.id)["lastName"] == "-" and listed.last_name == ""


async def test_lists_are_json_queries_of_500_following_next_page_url(
    fake: AutotaskFake, autotask: AutotaskConnector, wire: Recording
) -> None:
    client_id = company(fake)
    other = company(fake, "Southwind")
    people = [
        {"companyID": int(client_id), "firstName": f"P{i}", "lastName": "Lee", "isActive": i % 9 and 1}
        for i in range(1234)
    ]
    fake.load(contacts=[*people, {"companyID": int(other), "firstName": "Not", "lastName": "Mine", "isActive": 1}])

    contacts = await autotask.list_contacts(client_id)

    assert len(contacts) == 1234 and sum(not c.active for c in contacts) == len(range(0, 1234, 9))
    [query] = [body for m, p, body in wire.sent if m == "POST" and p.endswith("/Contacts/query")]
    assert query == {"MaxRecords": 500, "filter": [{"op": "eq", "field": "companyID", "value": int(client_id)}]}
    assert [p.rsplit("/", 2)[-2:] for m, p, _ in wire.sent if m == "GET" and "query" in p] == [["query", "next"]] * 2


async def test_r8_6_an_update_patches_only_the_changed_fields_on_the_child_url(
    fake: AutotaskFake, autotask: AutotaskConnector, wire: Recording
) -> None:
    client_id = company(fake)
    made = await autotask.create_contact(client_id, ANN, entra_user_id="oid-ann")
    before = stored(fake, made.id)
    wire.sent.clear()

    await autotask.update_contact(client_id, made.id, {"title": "Chair", "department": "Ops", "country": "FR"})

    assert wire.sent == [
        ("PATCH", f"/ATServicesRest/V1.0/Companies/{client_id}/Contacts", {"id": int(made.id), "title": "Chair"})
    ]
    after = stored(fake, made.id)
    unchanged = {k: v for k, v in before.items() if k not in ("title", "lastModifiedDate")}
    assert after["title"] == "Chair" and {k: after[k] for k in unchanged} == unchanged


async def test_r8_3_inactivation_and_reactivation_set_is_active_1_or_0(
    fake: AutotaskFake, autotask: AutotaskConnector
) -> None:
    client_id = company(fake)
    made = await autotask.create_contact(client_id, ANN, entra_user_id="oid-ann")

    await autotask.set_contact_active(client_id, made.id, False, "disabled-in-microsoft")
    [inactive] = await autotask.list_contacts(client_id)
    flag = stored(fake, made.id)["isActive"]
    await autotask.set_contact_active(client_id, made.id, True, None)
    [active] = await autotask.list_contacts(client_id)

    assert flag == 0 and not inactive.active and active.active and stored(fake, made.id)["isActive"] == 1


async def test_r8_2_and_r8_5_email2_email3_match_and_external_id_is_the_entra_id(
    fake: AutotaskFake, autotask: AutotaskConnector
) -> None:
    client_id = company(fake)
    fake.load(
        contacts=[
            {
                "companyID": int(client_id),
                "firstName": "Bo",
                "lastName": "Li",
                "isActive": 1,
                "emailAddress": "bo@nw.example",
                "emailAddress2": "sales@nw.example",
                "emailAddress3": "b.li@nw.example",
                "externalID": "oid-bo",
            }
        ]
    )

    [listed] = await autotask.list_contacts(client_id)

    assert listed.addresses() == ["bo@nw.example", "sales@nw.example", "b.li@nw.example"]
    assert listed.entra_user_id == "oid-bo" and autotask.capabilities.entra_id_field


async def test_r8_4_facts_go_in_udfs_and_a_missing_one_is_a_note(
    fake: AutotaskFake, autotask: AutotaskConnector
) -> None:
    fake.define_udf("Azure License")
    fake.define_udf("Azure MFA Status")
    fake.define_udf("Microsoft Secure Score", entity="Companies")
    client_id = company(fake)
    made = await autotask.create_contact(client_id, ANN, entra_user_id="oid-ann")
    await autotask.list_contacts(client_id)  # reads the UDFs

    await autotask.write_contact_facts(
        client_id, made.id, MicrosoftFacts(license="Business Basic", mfa_registered=True)
    )
    await autotask.write_client_facts(client_id, ClientMicrosoftFacts(secure_score=40.0, licensed_users=3))
    [listed] = await autotask.list_contacts(client_id)
    [client] = await autotask.list_clients()
    notes = autotask.take_notes(client_id)

    assert stored(fake, made.id)["userDefinedFields"] == [
        {"name": "Azure License", "value": "Business Basic"},
        {"name": "Azure MFA Status", "value": "enabled"},
    ]
    assert listed.microsoft is not None and (listed.microsoft.license, listed.microsoft.mfa_registered) == (
        "Business Basic",
        True,
    )
    assert client.microsoft is not None and client.microsoft.secure_score == 40.0
    assert autotask.capabilities.contact_fact_fields == {"license", "mfa_registered"}
    assert sum("UDF 'Azure MFA Methods'" in n for n in notes) == 1
    assert any(n.startswith("Autotask: ") and "requests this pass" in n for n in notes)


async def test_the_run_says_what_its_pass_spent(fake: AutotaskFake, autotask: AutotaskConnector) -> None:
    north, south = company(fake), company(fake, "Southwind")
    before = fake.requests_this_hour

    await asyncio.gather(autotask.list_contacts(north), autotask.list_contacts(south))
    await autotask.create_contact(north, ANN, entra_user_id="oid-ann")

    north_note = [n for n in autotask.take_notes(north) if n.startswith("Autotask:")]
    south_note = [n for n in autotask.take_notes(south) if n.startswith("Autotask:")]
    assert north_note[0].startswith("Autotask: 4 requests this pass")  # two UDF lists, the query, the create
    assert south_note[0].startswith("Autotask: 1 requests this pass")  # the UDF lists were read once
    assert fake.requests_this_hour - before == 5
    assert "10,000 an hour" in north_note[0]


async def test_r3_5_a_500_with_errors_is_that_items_refusal_not_an_outage(
    fake: AutotaskFake, autotask: AutotaskConnector
) -> None:
    client_id = company(fake)
    made = await autotask.create_contact(client_id, ANN, entra_user_id="oid-ann")
    posts = fake.request_count(method="PATCH")

    with pytest.raises(PsaRefused, match="not a valid email address"):
        await autotask.update_contact(client_id, made.id, {"email": "not-an-email"})

    assert fake.request_count(method="PATCH") == posts + 1  # refused once, not retried
    assert autotask.stats.retries == 0


async def test_r8_7_a_throttle_waits_and_never_fails_a_user(fake: AutotaskFake, autotask: AutotaskConnector) -> None:
    client_id = company(fake)
    fault = fake.fault(429, times=2, method="POST", path_prefix="/ATServicesRest/V1.0/Companies")

    made = await autotask.create_contact(client_id, ANN, entra_user_id="oid-ann")

    assert fault.hits == 2 and made.id and autotask.stats.throttled == 2 and len(fake.contacts()) == 1


async def test_r8_7_an_outage_past_the_retries_is_unavailable(fake: AutotaskFake, autotask: AutotaskConnector) -> None:
    client_id = company(fake)
    fault = fake.fault(503, times=None, path_prefix="/ATServicesRest/V1.0/Contacts")

    with pytest.raises(PsaUnavailable):
        await autotask.list_contacts(client_id)

    assert fault.hits == 3


async def test_at_most_three_requests_at_once_per_endpoint(fake: AutotaskFake, autotask: AutotaskConnector) -> None:
    client_id = company(fake)
    made = [
        await autotask.create_contact(
            client_id, ContactFields(first_name=f"P{i}", last_name="L"), entra_user_id=f"o{i}"
        )
        for i in range(5)
    ]
    slow = fake.slow(1.5, times=None, method="PATCH")  # longer than four paced requests take to start

    await asyncio.gather(*[autotask.set_contact_active(client_id, m.id, False, None) for m in made[:5]])

    assert slow.hits == 5 and fake.throttled == 0  # a 4th request in flight to one endpoint would be 429
    assert all(c["isActive"] == 0 for c in fake.contacts()[:5])


async def test_create_client_returns_the_existing_company(fake: AutotaskFake, autotask: AutotaskConnector) -> None:
    company(fake, "Northwind Traders")

    found = await autotask.create_client("Northwind Traders", website=None, domains=[])
    made = await autotask.create_client("Contoso", website="contoso.example", domains=[])

    assert found.id == "1" and made.website == "contoso.example" and len(fake.clients()) == 2


async def test_bulk_a_create_carries_its_facts_and_a_contacts_items_are_one_patch(
    fake: AutotaskFake, autotask: AutotaskConnector, wire: Recording
) -> None:
    fake.define_udf("Azure License")
    client_id = company(fake)

    [made] = await autotask.create_contacts(client_id, [NewContact("oid-ann", ANN, MicrosoftFacts(license="Basic"))])
    assert not isinstance(made, Exception)
    results = await autotask.change_contacts(
        client_id,
        [
            ContactChange(contact_id=made.id, changes={"mobile": "+44 7700 900111"}, active=False),
            ContactChange(contact_id=made.id, facts=MicrosoftFacts(license="Premium")),
        ],
    )

    assert results == [None, None]
    writes = [(m, body) for m, p, body in wire.sent if m in ("POST", "PATCH") and p.endswith("/Contacts")]
    assert [m for m, _ in writes] == ["POST", "PATCH"]
    assert writes[0][1]["userDefinedFields"] == [{"name": "Azure License", "value": "Basic"}]
    assert writes[1][1] == {
        "id": int(made.id),
        "mobilePhone": "+44 7700 900111",
        "isActive": 0,
        "userDefinedFields": [{"name": "Azure License", "value": "Premium"}],
    }
    assert stored(fake, made.id)["userDefinedFields"] == [{"name": "Azure License", "value": "Premium"}]
