"""The built-in PSA directory on Azurite: a real PsaConnector, never deleting."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from shared.bootstrap import App
from shared.errors import NotFound, PsaError
from shared.models import ClientMicrosoftFacts, ContactFields, MicrosoftFacts, PsaClient, PsaContact
from shared.psa.directory import TableDirectory
from shared.psa.port import ContactChange, PsaConnector
from shared.store.account import StorageAccount


@pytest.fixture
async def directory(app: App) -> TableDirectory:
    d = TableDirectory(app.storage, unique_emails=True)
    await d.put_clients([PsaClient(id="c-1", name="One", website="one.example"), PsaClient(id="c-2", name="Two")])
    await d.put_contacts([PsaContact(id="k-2", client_id="c-2", first_name="Ann", email="ann@one.example")])
    return d


def test_the_directory_is_a_psa_connector(directory: TableDirectory) -> None:
    connector: PsaConnector = directory
    assert not hasattr(connector, "delete_contact")  # the port has no delete, and neither does the adapter


async def test_creates_a_contact_with_every_field_and_reads_it_back(directory: TableDirectory) -> None:
    fields = ContactFields(first_name="Bo", last_name="Li", email="bo@one.example", phone="1", city="Oslo", upn="bo@x")

    created = await directory.create_contact("c-1", fields, entra_user_id="u-1")

    [listed] = await directory.list_contacts("c-1")
    assert listed == created and listed.city == "Oslo" and listed.entra_user_id == "u-1"


async def test_a_repeated_create_for_the_same_user_returns_the_first_contact(directory: TableDirectory) -> None:
    fields = ContactFields(first_name="Bo", email="bo@one.example")

    first, second = await asyncio.gather(
        directory.create_contact("c-1", fields, entra_user_id="u-1"),
        directory.create_contact("c-1", fields, entra_user_id="u-1"),
    )

    assert first.id == second.id
    assert len(await directory.list_contacts("c-1")) == 1


async def test_updates_only_the_named_fields(directory: TableDirectory) -> None:
    created = await directory.create_contact("c-1", ContactFields(first_name="Bo", title="Dev"), entra_user_id="u")

    await directory.update_contact("c-1", created.id, {"title": "Lead"})

    contact = await directory.get_contact("c-1", created.id)
    assert contact is not None and (contact.first_name, contact.title) == ("Bo", "Lead")


async def test_unknown_fields_are_refused(directory: TableDirectory) -> None:
    created = await directory.create_contact("c-1", ContactFields(first_name="Bo"), entra_user_id="u")

    with pytest.raises(PsaError, match="unknown contact fields"):
        await directory.update_contact("c-1", created.id, {"password": "x"})


async def test_inactivates_with_a_reason_and_reactivates(directory: TableDirectory) -> None:
    created = await directory.create_contact("c-1", ContactFields(first_name="Bo"), entra_user_id="u")

    await directory.set_contact_active("c-1", created.id, False, "disabled-in-microsoft")
    inactive = await directory.get_contact("c-1", created.id)
    await directory.set_contact_active("c-1", created.id, True, None)
    active = await directory.get_contact("c-1", created.id)

    assert inactive is not None and not inactive.active and inactive.inactive_reason == "disabled-in-microsoft"
    assert active is not None and active.active and active.inactive_reason is None


async def test_concurrent_writes_to_one_contact_lose_nothing(directory: TableDirectory) -> None:
    created = await directory.create_contact("c-1", ContactFields(first_name="Bo"), entra_user_id="u")

    await asyncio.gather(
        directory.update_contact("c-1", created.id, {"title": "Lead"}),
        directory.update_contact("c-1", created.id, {"mobile": "+1 555"}),
        directory.write_contact_facts("c-1", created.id, MicrosoftFacts(license="Microsoft 365 Business Basic")),
    )

    contact = await directory.get_contact("c-1", created.id)
    assert contact is not None
    assert (contact.title, contact.mobile) == ("Lead", "+1 555")
    assert contact.microsoft is not None and contact.microsoft.license == "Microsoft 365 Business Basic"


async def test_r3_5_refuses_an_email_another_clients_contact_has(directory: TableDirectory) -> None:
    with pytest.raises(PsaError, match="another client"):
        await directory.create_contact("c-1", ContactFields(email="ANN@one.example"), entra_user_id="u")

    assert await directory.list_contacts("c-1") == []
    assert len(await directory.list_contacts("c-2")) == 1


async def test_writing_to_a_missing_contact_is_a_psa_error(directory: TableDirectory) -> None:
    with pytest.raises(PsaError, match="not found"):
        await directory.set_contact_active("c-1", "k-none", False, None)


async def test_client_facts_and_import_once(directory: TableDirectory) -> None:
    made = await directory.create_client(
        "Harbor Clinic", website="harborclinic.example", domains=["harborclinic.example"]
    )
    again = await directory.create_client(
        "Harbor Clinic", website="harborclinic.example", domains=["harborclinic.example"]
    )
    await directory.write_client_facts(made.id, ClientMicrosoftFacts(licensed_users=3))

    client = await directory.get_client(made.id)
    assert made.id == again.id
    assert client is not None and client.microsoft is not None and client.microsoft.licensed_users == 3


class _CountedReads:
    """Storage hooks that count the directory's GET requests (point reads and queries) by table."""

    def __init__(self) -> None:
        self.reads: list[str] = []

    def table(self, request: Any) -> None:
        http = request.http_request
        if http.method == "GET" and "Directory" in http.url:
            self.reads.append(http.url)

    def queue(self, request: Any) -> None: ...


async def test_client_facts_after_a_read_go_under_its_etag_without_reading_again(app: App) -> None:
    counted = _CountedReads()
    storage = StorageAccount.from_settings(app.settings, prefix=app.storage.prefix, hooks=counted)
    directory = TableDirectory(storage)
    try:
        await directory.put_clients([PsaClient(id="c-9", name="Nine")])
        await directory.get_client("c-9")
        await directory.write_client_facts("c-9", ClientMicrosoftFacts(licensed_users=4))
        assert len(counted.reads) == 1  # the pass's own read; the write went under its ETag

        await directory.get_client("c-9")
        await directory.put_clients([PsaClient(id="c-9", name="Nine Ltd")])  # an edit in between
        await directory.write_client_facts("c-9", ClientMicrosoftFacts(licensed_users=5))

        client = await directory.get_client("c-9")
        assert client is not None and client.name == "Nine Ltd"  # the edit is kept: the ETag made it read again
        assert client.microsoft is not None and client.microsoft.licensed_users == 5
        assert len(counted.reads) == 4
        with pytest.raises(NotFound):
            await directory.write_client_facts("c-none", ClientMicrosoftFacts(licensed_users=1))
    finally:
        await storage.aclose()


async def test_changes_after_a_listing_go_under_its_etags_without_reading_again(app: App) -> None:
    counted = _CountedReads()
    storage = StorageAccount.from_settings(app.settings, prefix=app.storage.prefix, hooks=counted)
    directory = TableDirectory(storage)
    try:
        await directory.put_contacts(
            [PsaContact(id=f"k-{i}", client_id="c-7", first_name=f"P{i}", title="Dev") for i in range(20)]
        )
        listed = await directory.list_contacts("c-7")
        await directory.change_contacts("c-7", [ContactChange(c.id, {"title": "Lead"}) for c in listed])
        assert len(counted.reads) == 1  # the listing; 20 changes without the 2 queries for their ETags
        assert {c.title for c in await directory.list_contacts("c-7")} == {"Lead"}

        await directory.list_contacts("c-7")
        await directory.update_contact("c-7", "k-3", {"city": "Oslo"})  # an edit after the listing
        errors = await directory.change_contacts(
            "c-7", [ContactChange("k-3", {"title": "Chief"}), ContactChange("k-none", {"title": "X"})]
        )
        assert errors[0] is None and errors[1] is not None and errors[1].status == 404
        contact = await directory.get_contact("c-7", "k-3")
        assert contact is not None and (contact.title, contact.city) == ("Chief", "Oslo")  # the edit is kept
    finally:
        await storage.aclose()
