"""`AlgaConnector`: Alga PSA (`https://<host>/api/v1`) as a `PsaConnector`.

What it does with what Alga has (`mapping` has the field names):

* **Lists** page with `page` and `limit=100` to `pagination.hasNext`; a client's contacts are
  `GET /contacts?client_id=` (the `/clients/{id}/contacts` route declares no paging), active and
  inactive alike (Alga lists both unless `is_inactive` is given).
* **Writes** are `PUT /contacts/{id}` with only the changed keys (Alga's PUT is partial, R8.6); a
  contact's changes and activation go in one PUT. Lists are sent whole when one changes (a list sent
  replaces the stored one): the phone list with our work or mobile number set, the additional emails
  when the primary changes.
* **A changed primary email** goes by Alga's promotion rule: the old primary is listed among
  `additional_email_addresses`, so Alga demotes it instead of refusing the change.
* **Emails are unique across the Alga tenant**: a create or change whose email another contact holds
  is answered 409, which fails that user only (`PsaRefused`, R3.5). The message says which client
  holds the address when a lookup finds it; the `email` filter matches substrings, so the lookup
  checks equality itself.
* **Clients**: a create sends `client_name` and `billing_cycle` (monthly; Alga requires one), the
  website as `url`. Client facts go in the client's `properties`, sent whole (the stored keys with
  ours over them), since a PUT replaces the object.
* **Contact facts** have no place in Alga (no custom fields on contacts): `capabilities` says so and
  the planner plans none.
* Auth: `x-api-key`, and `x-tenant-id` when configured.

Guessed where unconfirmed: Alga keeps unknown keys in a client's `properties` (its spec lists some
keys but does not close the object); if it dropped them, the facts would be rewritten on every full
pass (one request per tenant), nothing worse.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

from shared.errors import PsaRefused
from shared.models import Capabilities, ClientMicrosoftFacts, PsaClient, PsaContact
from shared.psa.alga.mapping import (
    CLIENT_FACT_PROPERTIES,
    HELD_FIELDS,
    client_facts_properties,
    client_of,
    contact_of,
    create_body,
    email_change,
    join_name,
    phones_with,
    website_url,
)
from shared.psa.alga.records import AlgaClient, AlgaClientPage, AlgaContact, AlgaContactPage
from shared.psa.http import Page, PsaHttpClient, RequestStats, every_page
from shared.psa.http.memory import RecordCache
from shared.psa.one_by_one import OneByOne
from shared.psa.port import ContactChange, NewContact

__all__ = ["PAGE_SIZE", "AlgaConnector"]

log = logging.getLogger(__name__)

PAGE_SIZE = 100  # Alga's largest `limit`
BILLING_CYCLE = "monthly"

_CAPABILITIES = Capabilities(
    fields=HELD_FIELDS,
    single_name=True,
    contact_fact_fields=frozenset(),
    client_fact_fields=frozenset(CLIENT_FACT_PROPERTIES),
    additional_emails=True,
    inactive_flag=True,
    contact_facts=False,
    client_facts=True,
    client_website=True,
    entra_id_field=False,
    bulk=True,  # a contact's items merge into one PUT
)


class AlgaConnector(OneByOne):
    """A `PsaConnector` (with `BulkContacts`) over one Alga PSA tenant; see the module docstring.
    `stats` counts its requests; `aclose` closes its HTTP client."""

    def __init__(self, http: PsaHttpClient) -> None:
        self._http = http
        self._contacts: RecordCache[str, AlgaContact] = RecordCache()
        self._clients: RecordCache[str, AlgaClient] = RecordCache()

    @property
    def stats(self) -> RequestStats:
        return self._http.stats

    async def aclose(self) -> None:
        await self._http.aclose()

    @property
    def capabilities(self) -> Capabilities:
        return _CAPABILITIES

    # --- clients ---------------------------------------------------------------------------------

    async def list_clients(self) -> list[PsaClient]:
        return [client_of(c) for c in await every_page(lambda number: self._client_page({"page": str(number)}))]

    async def get_client(self, client_id: str) -> PsaClient | None:
        if not _is_uuid(client_id):
            return None
        try:
            answer = await self._http.json("GET", f"clients/{client_id}")
        except PsaRefused as exc:
            if exc.status == 404:
                return None
            raise
        return client_of(self._client(answer))

    async def create_client(self, name: str, *, website: str | None, domains: list[str]) -> PsaClient:
        """A client of that exact name is returned rather than a second one made (an import asked
        twice, or retried after a crash; the `client_name` filter matches substrings)."""
        wanted = name.strip().casefold()
        found = await every_page(lambda number: self._client_page({"client_name": name, "page": str(number)}))
        for client in found:
            if client.client_name.strip().casefold() == wanted:
                return client_of(client)
        body: dict[str, Any] = {"client_name": name, "billing_cycle": BILLING_CYCLE, "client_type": "company"}
        url = website_url(website)
        if url:
            body["url"] = url
        return client_of(self._client(await self._http.json("POST", "clients", body=body)))

    async def write_client_facts(self, client_id: str, facts: ClientMicrosoftFacts) -> None:
        current = self._clients.get(client_id) or self._client(await self._http.json("GET", f"clients/{client_id}"))
        properties = {**current.properties, **client_facts_properties(facts)}
        self._client(await self._http.json("PUT", f"clients/{client_id}", body={"properties": properties}))

    async def _client_page(self, params: dict[str, str]) -> Page[AlgaClient]:
        query = params | {"limit": str(PAGE_SIZE)}
        page = self._http.shape(AlgaClientPage, await self._http.json("GET", "clients", params=query))
        for client in page.data:
            self._clients.put(client.client_id, client)
        return Page(page.data, more=page.pagination.has_next)

    def _client(self, answer: Any) -> AlgaClient:
        record = self._http.shape(AlgaClient, _data(answer))
        self._clients.put(record.client_id, record)
        return record

    # --- contacts --------------------------------------------------------------------------------

    async def list_contacts(self, client_id: str) -> list[PsaContact]:
        if not _is_uuid(client_id):
            raise PsaRefused(f"{client_id!r} is not an Alga client id (Alga's ids are UUIDs)", status=400)

        async def page(number: int) -> Page[AlgaContact]:
            params = {"client_id": client_id, "page": str(number), "limit": str(PAGE_SIZE)}
            answer = self._http.shape(AlgaContactPage, await self._http.json("GET", "contacts", params=params))
            return Page(answer.data, more=answer.pagination.has_next)

        records = [r for r in await every_page(page) if r.client_id == client_id]
        for record in records:
            self._contacts.put(record.contact_name_id, record)
        return [contact_of(r) for r in records]

    async def _create(self, client_id: str, item: NewContact) -> PsaContact:
        body = create_body(client_id, item.fields)
        try:
            answer = await self._http.json("POST", "contacts", body=body)
        except PsaRefused as exc:
            raise await self._explained(exc, body["email"]) from exc
        return contact_of(self._contact(answer))

    async def _change(self, client_id: str, item: ContactChange) -> None:
        # Alga keeps no contact facts (`capabilities.contact_facts` False): an item of facts alone sends nothing.
        changes = {k: v for k, v in item.changes.items() if k in HELD_FIELDS}
        if not changes and item.active is None:
            return  # nothing Alga can hold (R8.1)
        needs_record = any(k in changes for k in ("email", "phone", "mobile", "first_name", "last_name"))
        current = self._contacts.get(item.contact_id)
        if needs_record and current is None:
            current = self._contact(await self._http.json("GET", f"contacts/{item.contact_id}"))
        body: dict[str, Any] = {}
        if "first_name" in changes or "last_name" in changes:
            assert current is not None
            now = contact_of(current)
            body["full_name"] = join_name(
                changes.get("first_name", now.first_name), changes.get("last_name", now.last_name)
            )
        if "title" in changes:
            body["role"] = changes["title"]
        if "phone" in changes or "mobile" in changes:
            assert current is not None
            body["phone_numbers"] = phones_with(current, changes)
        if "email" in changes:
            assert current is not None
            body |= email_change(current, changes["email"].strip())
        if item.active is not None:
            body["is_inactive"] = not item.active
        try:
            self._contact(await self._http.json("PUT", f"contacts/{item.contact_id}", body=body))
        except PsaRefused as exc:
            if "email" not in body:
                raise
            raise await self._explained(exc, body["email"]) from exc

    async def _explained(self, refusal: PsaRefused, email: str) -> PsaRefused:
        """A 409 names the client whose contact holds the address, when a lookup finds it."""
        if refusal.status != 409 or not email:
            return refusal
        params = {"email": email, "limit": str(PAGE_SIZE), "page": "1"}
        try:
            found = self._http.shape(AlgaContactPage, await self._http.json("GET", "contacts", params=params))
        except PsaRefused:
            return refusal
        # The filter matches substrings ("ann@x.com" finds "joann@x.com"): only an equal address counts.
        holders = [c for c in found.data if c.email.strip().lower() == email.strip().lower()]
        if not holders:
            return refusal
        holder = holders[0]
        where = f"client {holder.client_id}" if holder.client_id else "no client"
        return PsaRefused(f"{refusal} (held by Alga contact {holder.contact_name_id}, {where})", status=409)

    def _contact(self, answer: Any) -> AlgaContact:
        record = self._http.shape(AlgaContact, _data(answer))
        self._contacts.put(record.contact_name_id, record)
        return record


def _data(answer: Any) -> Any:
    return answer["data"] if isinstance(answer, dict) and "data" in answer else answer


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True
