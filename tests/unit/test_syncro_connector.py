"""The Syncro connector's guesses about Syncro, each tried both ways on a small in-memory Syncro
behind `httpx.MockTransport`: custom fields that do not exist (R8.4), `properties` merged or
replaced on PUT, answers with or without `title`, and `name` required on every PUT (R8.6)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from shared.models import ContactFields, MicrosoftFacts
from shared.psa.http import PsaHttpClient, RateLimiter, RetryPolicy
from shared.psa.http.auth import HeaderAuth
from shared.psa.port import NewContact, take_psa_notes
from shared.psa.syncro import SyncroConnector

FACTS = MicrosoftFacts(
    license="Microsoft 365 Business Basic",
    mfa_registered=False,
    mfa_methods=["email"],
    last_sign_in=datetime(2026, 3, 2, 8, 0, tzinfo=UTC),
)
ANN = ContactFields(first_name="Ann", last_name="Lee", email="ann@nw.example", title="Buyer")


class MiniSyncro:
    """Contacts of customer 7. `fields`: the contact custom fields that exist (None: any key is kept);
    `replace`: PUT replaces `properties` instead of merging; `shows_title`: answers carry `title`."""

    def __init__(self, *, fields: set[str] | None = None, replace: bool = False, shows_title: bool = True) -> None:
        self.fields, self.replace, self.shows_title = fields, replace, shows_title
        self.contacts: dict[int, dict[str, Any]] = {}
        self.sent: list[tuple[str, str, Any]] = []

    def handle(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content) if request.content else None
        self.sent.append((request.method, request.url.path, body))
        path = request.url.path.removeprefix("/api/v1")
        if request.method == "GET" and path == "/contacts":
            rows = [self.render(c) for c in self.contacts.values()]
            return httpx.Response(200, json={"contacts": rows, "meta": {"total_pages": 1, "page": 1}})
        if request.method == "POST" and path == "/contacts":
            contact_id = len(self.contacts) + 1
            record = {k: v for k, v in body.items() if k not in ("properties", "title")}
            self.contacts[contact_id] = {
                **record,
                "id": contact_id,
                "properties": self.kept(body.get("properties", {})),
            }
            return httpx.Response(200, json=self.render(self.contacts[contact_id]))
        contact_id = int(path.rsplit("/", 1)[-1])
        record = self.contacts[contact_id]
        if request.method == "PUT":
            if not body.get("name"):
                return httpx.Response(422, json={"errors": "Name can't be blank"})
            for key, value in body.items():
                if key == "properties":
                    kept = self.kept(value)
                    record["properties"] = kept if self.replace else {**record["properties"], **kept}
                else:
                    record[key] = value
        return httpx.Response(200, json=self.render(record))

    def kept(self, properties: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in properties.items() if self.fields is None or k in self.fields}

    def render(self, record: dict[str, Any]) -> dict[str, Any]:
        shown = {k: v for k, v in record.items() if k != "title" or self.shows_title}
        return {"properties": {}, **shown} | ({"title": record.get("title")} if self.shows_title else {})


def connector(syncro: MiniSyncro) -> SyncroConnector:
    http = PsaHttpClient(
        vendor="syncro",
        base_url="https://nw.syncromsp.com/api/v1",
        auth=HeaderAuth({"Authorization": "k"}),
        limiter=RateLimiter(10_000, 10_000),
        policy=RetryPolicy(attempts=2, initial_wait=0, max_wait=0),
        transport=httpx.MockTransport(syncro.handle),
    )
    return SyncroConnector(http)


async def test_r8_4_a_custom_field_syncro_lacks_is_skipped_with_one_note_per_tenant_run() -> None:
    syncro = MiniSyncro(fields={"azure_license", "azure_account_status"})
    psa = connector(syncro)

    [made] = await psa.create_contacts("7", [NewContact("u1", ANN, FACTS)])
    notes = take_psa_notes(psa, "7")

    assert not isinstance(made, Exception) and made.microsoft == FACTS  # taken as far as Syncro can
    assert syncro.contacts[1]["properties"] == {"azure_license": "Microsoft 365 Business Basic"}
    assert len(notes) == 3 and all("create it in Syncro" in n for n in notes)
    assert any("'azure_mfa_status'" in n for n in notes)
    assert take_psa_notes(psa, "7") == []  # said once
    assert psa.capabilities.contact_fact_fields == {"license"}  # the planner stops planning the rest

    await psa.list_contacts("7")  # the next tenant run
    assert len(take_psa_notes(psa, "7")) == 3

    syncro.sent.clear()
    await psa.write_contact_facts("7", "1", FACTS.model_copy(update={"license": "Microsoft 365 Business Standard"}))
    [(_, _, body)] = [s for s in syncro.sent if s[0] == "PUT"]
    assert body["properties"] == {"azure_license": "Microsoft 365 Business Standard"}


async def test_r8_4_facts_a_syncro_without_any_of_the_fields_cannot_keep_are_not_sent_again() -> None:
    syncro = MiniSyncro(fields=set())
    psa = connector(syncro)
    await psa.create_contact("7", ANN, entra_user_id="u1")
    await psa.write_contact_facts("7", "1", FACTS)
    syncro.sent.clear()

    await psa.write_contact_facts("7", "1", FACTS)

    assert syncro.sent == []
    assert not psa.capabilities.contact_facts


async def test_r8_3_a_missing_inactive_field_is_said_in_the_run() -> None:
    psa = connector(MiniSyncro(fields=set()))
    await psa.create_contact("7", ANN, entra_user_id="u1")

    await psa.set_contact_active("7", "1", False, "disabled-in-microsoft")

    assert any("'azure_account_status' (the inactive mark)" in n for n in take_psa_notes(psa, "7"))


async def test_a_missing_field_verdict_is_checked_by_reading_the_contact_back() -> None:
    syncro = MiniSyncro()
    original = syncro.handle

    def put_answers_without_properties(request: httpx.Request) -> httpx.Response:
        response = original(request)
        if request.method != "PUT":
            return response
        record = json.loads(response.content)
        return httpx.Response(200, json={k: v for k, v in record.items() if k != "properties"})

    syncro.handle = put_answers_without_properties  # type: ignore[method-assign]
    psa = connector(syncro)
    await psa.create_contact("7", ANN, entra_user_id="u1")

    await psa.write_contact_facts("7", "1", FACTS)

    assert take_psa_notes(psa, "7") == []  # the GET showed the fields: nothing is missing
    assert psa.capabilities.contact_fact_fields == {"license", "mfa_registered", "mfa_methods", "last_sign_in"}


async def test_r8_6_properties_survive_a_syncro_that_replaces_them_on_put() -> None:
    syncro = MiniSyncro(replace=True)
    psa = connector(syncro)
    await psa.create_contact("7", ANN, entra_user_id="u1")
    syncro.contacts[1]["properties"] = {"msp_contract": "gold"}  # the MSP's own custom field
    await psa.list_contacts("7")

    await psa.set_contact_active("7", "1", False, "deleted-in-microsoft")

    assert syncro.contacts[1]["properties"] == {"msp_contract": "gold", "azure_account_status": "Deleted in Microsoft"}


async def test_r8_6_a_put_without_a_listed_contact_reads_it_for_the_name_syncro_requires() -> None:
    syncro = MiniSyncro()
    syncro.contacts[5] = {"id": 5, "customer_id": 7, "name": "Bo Chen", "email": "bo@nw.example", "properties": {}}
    psa = connector(syncro)

    await psa.update_contact("7", "5", {"mobile": "+1 555 0100"})

    assert [(m, body) for m, _, body in syncro.sent] == [
        ("GET", None),
        ("PUT", {"name": "Bo Chen", "mobile": "+1 555 0100"}),
    ]


async def test_r8_1_a_syncro_whose_answers_never_show_a_title_stops_comparing_titles() -> None:
    syncro = MiniSyncro(shows_title=False)
    psa = connector(syncro)
    await psa.create_contact("7", ANN, entra_user_id="u1")
    assert syncro.contacts[1]["title"] == "Buyer"  # set on create all the same (one PUT)

    await psa.list_contacts("7")
    syncro.sent.clear()
    await psa.update_contact("7", "1", {"title": "Lead"})

    assert "title" not in psa.capabilities.fields
    assert syncro.sent == []


@pytest.mark.parametrize("client_id", ["abc", "7; drop"])
async def test_a_client_id_that_is_not_a_syncro_id_is_refused_clearly(client_id: str) -> None:
    psa = connector(MiniSyncro())

    assert await psa.get_client(client_id) is None
    with pytest.raises(Exception, match="not a Syncro id"):
        await psa.list_contacts(client_id)
