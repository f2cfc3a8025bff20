"""The Syncro connector against the Syncro API fake over real HTTP (R4, R8): every request it sends
is checked against Syncro's published spec at teardown."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest

from shared.config import load_settings
from shared.devtools.psa_fakes import SyncroFake
from shared.errors import PsaRefused, PsaUnavailable
from shared.models import ClientMicrosoftFacts, ContactFields
from shared.psa.port import ContactChange, NewContact
from shared.psa.syncro import SyncroConnector
from tests.integration.connector_support import ADDRESS, ann, checked, connected, connector_settings, facts, stored
from tests.integration.psa_http import FAST_RETRIES, Recording

pytestmark = [pytest.mark.integration, pytest.mark.no_azurite]


@pytest.fixture
def fake() -> Iterator[SyncroFake]:
    with checked(SyncroFake(page_size=25)) as syncro:
        yield syncro


@pytest.fixture
async def syncro(fake: SyncroFake, wire: Recording) -> AsyncIterator[SyncroConnector]:
    async with connected(SyncroConnector, connector_settings(fake), wire) as connector:
        yield connector


def customer(fake: SyncroFake, name: str = "Northwind", **fields: Any) -> str:
    return str(fake.load(clients=[{"business_name": name, **fields}]).clients[0])


ANN = ann(last_name="Lee Smith", **ADDRESS, country="UK")
FACTS = facts(licenses=["SPB"])


async def test_r4_1_a_created_contact_holds_every_field_syncro_has(
    fake: SyncroFake, syncro: SyncroConnector, wire: Recording
) -> None:
    client_id = customer(fake)

    made = await syncro.create_contact(client_id, ANN, entra_user_id="u1")

    record = stored(fake, made.id)
    assert record["name"] == "Ann Lee Smith" and record["customer_id"] == int(client_id)
    assert (record["email"], record["phone"], record["mobile"]) == (ANN.email, ANN.phone, ANN.mobile)
    assert (record["address1"], record["city"], record["state"], record["zip"]) == (
        "1 High St",
        "Leeds",
        "West Yorkshire",
        "LS1 1AA",
    )
    # The fake takes a title on PUT only (as Syncro's spec says): the connector set it with one PUT.
    assert record["title"] == "Buyer"
    assert [m for m, _, _ in wire.sent] == ["POST", "PUT"]
    [listed] = await syncro.list_contacts(client_id)
    assert listed.model_dump(include={"first_name", "last_name", "email", "title", "postal_code"}, by_alias=False) == {
        "first_name": "Ann",
        "last_name": "Lee Smith",
        "email": ANN.email,
        "title": "Buyer",
        "postal_code": "LS1 1AA",
    }
    assert listed.department == "" and listed.country == ""  # Syncro cannot hold them (R8.1)


async def test_r8_1_a_title_syncro_takes_on_create_costs_no_second_request(wire: Recording) -> None:
    with SyncroFake(title_on_create=True) as fake:
        settings = load_settings(
            PSA_PROVIDER="syncro", PSA_SYNCRO={"base_url": fake.base_url, "api_key": fake.api_key, **FAST_RETRIES}
        )
        async with connected(SyncroConnector, settings, wire) as connector:
            await connector.create_contact(customer(fake), ANN, entra_user_id="u1")
        fake.assert_conformant()

    assert [m for m, _, _ in wire.sent] == ["POST"]


async def test_lists_read_every_server_sized_page(fake: SyncroFake, syncro: SyncroConnector, wire: Recording) -> None:
    client_id = customer(fake)
    fake.load(
        contacts=[{"customer_id": int(client_id), "name": f"P {i}", "email": f"p{i}@nw.example"} for i in range(60)]
    )
    fake.load(clients=[{"business_name": f"Customer {i}", "email": f"ap@c{i}.example"} for i in range(30)])

    contacts = await syncro.list_contacts(client_id)
    clients = await syncro.list_clients()

    assert len(contacts) == 60 and len({c.id for c in contacts}) == 60
    assert len(clients) == 31
    assert [path for m, path, _ in wire.sent if m == "GET" and path.endswith("/contacts")] == ["/api/v1/contacts"] * 3


async def test_r1_3_customers_have_no_website_so_their_email_gives_the_domain(
    fake: SyncroFake, syncro: SyncroConnector
) -> None:
    customer(fake, "Contoso", email="accounts@contoso.example")

    [client] = await syncro.list_clients()

    assert client.website is None and client.main_email == "accounts@contoso.example"
    assert syncro.capabilities.client_website is False


async def test_r8_6_an_update_sends_only_the_changed_fields_and_the_name_syncro_requires(
    fake: SyncroFake, syncro: SyncroConnector, wire: Recording
) -> None:
    client_id = customer(fake)
    made = await syncro.create_contact(client_id, ANN, entra_user_id="u1")
    before = stored(fake, made.id)
    await syncro.list_contacts(client_id)
    wire.sent.clear()

    await syncro.update_contact(client_id, made.id, {"phone": "+44 20 7946 1111", "department": "Ops"})

    assert wire.bodies("PUT") == [{"name": "Ann Lee Smith", "phone": "+44 20 7946 1111"}]
    after = stored(fake, made.id)
    assert after["phone"] == "+44 20 7946 1111"
    assert {k: v for k, v in after.items() if k not in ("phone", "updated_at")} == {
        k: v for k, v in before.items() if k not in ("phone", "updated_at")
    }


async def test_r8_6_a_renamed_contact_gets_the_whole_new_name(fake: SyncroFake, syncro: SyncroConnector) -> None:
    client_id = customer(fake)
    made = await syncro.create_contact(client_id, ANN, entra_user_id="u1")

    await syncro.update_contact(client_id, made.id, {"first_name": "Anne", "last_name": "Lee-Smith"})

    assert stored(fake, made.id)["name"] == "Anne Lee-Smith"


async def test_r8_4_facts_go_in_the_seed_integrations_custom_fields_and_read_back(
    fake: SyncroFake, syncro: SyncroConnector
) -> None:
    client_id = customer(fake)
    [made] = await syncro.create_contacts(client_id, [NewContact("u1", ANN, FACTS)])
    assert not isinstance(made, Exception)

    properties = stored(fake, made.id)["properties"]
    assert properties == {
        "azure_license": "Microsoft 365 Business Premium",
        "azure_mfa_status": "enabled",
        "azure_mfa_methods": "microsoftAuthenticatorPush, sms",
        "azure_last_activity": "2026-04-01T09:30:00Z",
    }
    [listed] = await syncro.list_contacts(client_id)
    assert listed.microsoft is not None
    kept = syncro.capabilities.contact_fact_fields
    assert listed.microsoft.model_dump(include=set(kept)) == FACTS.model_dump(include=set(kept))


async def test_r8_4_client_facts_go_in_the_customers_custom_fields(fake: SyncroFake, syncro: SyncroConnector) -> None:
    client_id = customer(fake, properties={"msp_tier": "gold"})

    await syncro.write_client_facts(
        client_id, ClientMicrosoftFacts(secure_score=52.47, licensed_users=12, active_users=9)
    )

    client = await syncro.get_client(client_id)
    assert client is not None and client.microsoft is not None
    assert (client.microsoft.secure_score, client.microsoft.licensed_users, client.microsoft.active_users) == (
        52.47,
        12,
        9,
    )
    assert fake.customers()[0]["properties"]["msp_tier"] == "gold"  # the MSP's own field is kept


async def test_r8_3_inactivation_is_a_custom_field_mark_and_reactivation_clears_it(
    fake: SyncroFake, syncro: SyncroConnector
) -> None:
    client_id = customer(fake)
    made = await syncro.create_contact(client_id, ANN, entra_user_id="u1")

    await syncro.set_contact_active(client_id, made.id, False, "disabled-in-microsoft")
    [inactive] = await syncro.list_contacts(client_id)
    record = stored(fake, made.id)
    await syncro.set_contact_active(client_id, made.id, True, None)
    [active] = await syncro.list_contacts(client_id)

    assert record["properties"]["azure_account_status"] == "Disabled in Microsoft"
    assert record["name"] == "Ann Lee Smith" and record["email"] == ANN.email  # never renamed or emptied
    assert (inactive.active, inactive.inactive_reason) == (False, "disabled-in-microsoft")
    assert active.active and stored(fake, made.id)["properties"]["azure_account_status"] == ""


async def test_a_contacts_change_facts_and_mark_go_in_one_request(
    fake: SyncroFake, syncro: SyncroConnector, wire: Recording
) -> None:
    client_id = customer(fake)
    made = await syncro.create_contact(client_id, ANN, entra_user_id="u1")
    wire.sent.clear()

    results = await syncro.change_contacts(
        client_id,
        [
            ContactChange(
                contact_id=made.id,
                changes={"mobile": "+44 7700 900111"},
                active=False,
                inactive_reason="deleted-in-microsoft",
            ),
            ContactChange(contact_id=made.id, facts=FACTS),
        ],
    )

    assert results == [None, None]
    assert [m for m, _, _ in wire.sent] == ["PUT"]
    record = stored(fake, made.id)
    assert record["mobile"] == "+44 7700 900111"
    assert record["properties"]["azure_account_status"] == "Deleted in Microsoft"
    assert record["properties"]["azure_license"] == FACTS.license


async def test_r3_5_a_refused_contact_fails_alone_with_syncros_message(
    fake: SyncroFake, syncro: SyncroConnector
) -> None:
    client_id = customer(fake)
    bad = ANN.model_copy(update={"email": "not-an-email"})

    results = await syncro.create_contacts(client_id, [NewContact("u1", bad), NewContact("u2", ANN)])

    assert isinstance(results[0], PsaRefused) and "Email is not an email" in str(results[0])
    assert not isinstance(results[1], Exception)
    assert len(fake.contacts()) == 1


async def test_r8_7_a_throttle_waits_and_succeeds(fake: SyncroFake, syncro: SyncroConnector) -> None:
    client_id = customer(fake)
    fault = fake.fault(429, retry_after=1, times=1, method="POST")
    started = time.monotonic()

    made = await syncro.create_contact(client_id, ANN, entra_user_id="u1")

    assert fault.hits == 1 and time.monotonic() - started >= 1.0
    assert made.id and syncro.stats.throttled == 1 and syncro.stats.retry_seconds >= 1.0


async def test_r8_7_syncros_own_rate_limit_without_retry_after_is_backed_off_and_never_fails_a_user() -> None:
    with SyncroFake(rate_limit=8, rate_window=1.0) as fake:
        settings = load_settings(
            PSA_PROVIDER="syncro",
            PSA_SYNCRO={"base_url": fake.base_url, "api_key": fake.api_key, **FAST_RETRIES, "retry_attempts": 8},
        )
        async with connected(SyncroConnector, settings) as connector:
            client_id = str(fake.load(clients=[{"business_name": "Northwind"}]).clients[0])
            new = [NewContact(f"u{i}", ContactFields(first_name=f"P{i}", email=f"p{i}@nw.example")) for i in range(20)]
            results = await connector.create_contacts(client_id, new)
        fake.assert_conformant()

    assert fake.throttled > 0 and connector.stats.throttled == fake.throttled
    assert all(not isinstance(r, Exception) for r in results) and len(fake.contacts()) == 20


async def test_r8_7_an_outage_past_the_retries_is_unavailable(fake: SyncroFake, syncro: SyncroConnector) -> None:
    client_id = customer(fake)
    fault = fake.fault(503, times=None, path_prefix="/contacts")

    with pytest.raises(PsaUnavailable):
        await syncro.list_contacts(client_id)

    assert fault.hits == 3  # FAST_RETRIES: three tries


async def test_r8_7_a_dropped_connection_is_retried_for_a_read(fake: SyncroFake, syncro: SyncroConnector) -> None:
    client_id = customer(fake)
    fault = fake.drop(times=1, method="GET")

    assert await syncro.list_contacts(client_id) == []
    assert fault.hits == 1


async def test_r8_5_a_create_dropped_mid_request_is_not_repeated(fake: SyncroFake, syncro: SyncroConnector) -> None:
    client_id = customer(fake)
    fault = fake.drop(times=1, method="POST")

    with pytest.raises(PsaUnavailable, match="not repeated"):
        await syncro.create_contact(client_id, ANN, entra_user_id="u1")

    assert fault.hits == 1 and fake.request_count(method="POST") == 1
