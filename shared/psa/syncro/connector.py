"""`SyncroConnector`: Syncro (`https://{subdomain}.syncromsp.com/api/v1`) as a `PsaConnector`.

What it does with what Syncro has (`mapping` has the field names):

* **Lists** page to `meta.total_pages` (Syncro sizes its pages itself); a client's contacts are
  `GET /contacts?customer_id=`. Customers have no website: `list_clients` gives each customer's email,
  whose domain the tenant→client suggestions use (R1.3 secondary: review only, R1.5).
* **Writes** are `PUT /contacts/{id}` with only what changed (R8.6), plus `name`, which Syncro's spec
  requires on every PUT (the current one when the name did not change). A contact's changes, facts
  and inactive mark go in one PUT (`BulkContacts.change_contacts` merges a contact's items).
* **Custom fields** (`properties`) are sent whole: the stored ones with ours over them, so they survive
  whether Syncro merges or replaces `properties` on PUT (unconfirmed).
* **Inactive** (R8.3): no flag, so the `azure_account_status` custom field says "Disabled in Microsoft"
  or "Deleted in Microsoft"; reactivation empties it. Never deleted, renamed or emptied otherwise.
* **Facts** (R8.4) in the seed integration's custom fields.

Guessed where Syncro's docs are silent, and how the connector copes either way:

* `title` is taken on PUT only (the spec's POST body lacks it): a create sends it, and when the
  answer does not show it, sets it with one PUT. If Syncro's answers never carry `title` at all, the
  connector stops comparing it (`capabilities`), so it is written on create but never updated.
* A custom field Syncro does not have is dropped from the answer's `properties` (it is not refused):
  the first write that loses one reads the contact back to be sure, then skips that field (for six
  hours, then tries again) with one note per tenant run, and `capabilities` stop planning it. If
  Syncro refused such a write instead, that user's write fails with Syncro's message.
* A create that answers without our `properties` gets them with one PUT (and the same check).
* The API key goes raw in `Authorization` (PSA_CONNECTORS.md: raw; `Bearer <key>` also seen).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from shared.errors import PsaError, PsaRefused, PsaUnavailable
from shared.models import Capabilities, ClientMicrosoftFacts, PsaClient, PsaContact
from shared.psa.http import Page, PsaHttpClient, RequestStats, every_page
from shared.psa.http.memory import MissingFields, RecordCache, RunNotebook
from shared.psa.one_by_one import OneByOne
from shared.psa.port import ContactChange, NewContact
from shared.psa.syncro.mapping import (
    CONTACT_FACT_PROPERTIES,
    CUSTOMER_FACT_PROPERTIES,
    HELD_FIELDS,
    INACTIVE_PROPERTY,
    client_of,
    contact_fact_properties,
    contact_of,
    customer_fact_properties,
    field_body,
    inactive_properties,
    join_name,
)
from shared.psa.syncro.records import SyncroContact, SyncroContactPage, SyncroCustomer, SyncroCustomerPage

__all__ = ["SyncroConnector"]

log = logging.getLogger(__name__)

_WHAT = {
    INACTIVE_PROPERTY: "the inactive mark",
    **{key: "a Microsoft 365 fact" for key in CONTACT_FACT_PROPERTIES.values()},
}


class SyncroConnector(OneByOne):
    """A `PsaConnector` (with `BulkContacts` and `RunNotes`) over one Syncro account; see the module
    docstring. `stats` counts its requests; `aclose` closes its HTTP client."""

    def __init__(self, http: PsaHttpClient) -> None:
        self._http = http
        self._contacts: RecordCache[str, SyncroContact] = RecordCache()
        self._customers: RecordCache[str, SyncroCustomer] = RecordCache()
        self._missing = MissingFields()
        self._notes = RunNotebook()
        self._title_shown = True

    @property
    def stats(self) -> RequestStats:
        return self._http.stats

    async def aclose(self) -> None:
        await self._http.aclose()

    @property
    def capabilities(self) -> Capabilities:
        facts = frozenset(
            f for f, key in CONTACT_FACT_PROPERTIES.items() if not self._missing.missing(f"contact:{key}")
        )
        client = frozenset(f for f, k in CUSTOMER_FACT_PROPERTIES.items() if not self._missing.missing(f"customer:{k}"))
        return Capabilities(
            fields=HELD_FIELDS if self._title_shown else HELD_FIELDS - {"title"},
            single_name=True,
            contact_fact_fields=facts,
            client_fact_fields=client,
            additional_emails=False,
            inactive_flag=False,
            contact_facts=bool(facts),
            client_facts=bool(client),
            client_website=False,
            entra_id_field=False,
            bulk=True,  # a contact's items merge into one PUT
        )

    def take_notes(self, client_id: str) -> list[str]:
        return self._notes.take(client_id)

    # --- customers -------------------------------------------------------------------------------

    async def list_clients(self) -> list[PsaClient]:
        customers = await every_page(lambda number: self._customer_page({"page": number}))
        return [client_of(c) for c in customers]

    async def get_client(self, client_id: str) -> PsaClient | None:
        if not client_id.isdigit():
            return None
        try:
            answer = await self._http.json("GET", f"customers/{client_id}")
        except PsaRefused as exc:
            if exc.status == 404:
                return None
            raise
        return client_of(self._customer(answer))

    async def create_client(self, name: str, *, website: str | None, domains: list[str]) -> PsaClient:
        """Syncro keeps no website or domains. An existing customer of that business name is returned
        rather than a second one made (an import asked twice, or retried after a crash)."""
        wanted = name.strip().casefold()
        found = await every_page(lambda number: self._customer_page({"business_name": name, "page": number}))
        for customer in found:
            if (customer.business_name or "").strip().casefold() == wanted:
                return client_of(customer)
        answer = await self._http.json("POST", "customers", body={"business_name": name})
        return client_of(self._customer(answer))

    async def write_client_facts(self, client_id: str, facts: ClientMicrosoftFacts) -> None:
        wanted = self._kept("customer", client_id, customer_fact_properties(facts))
        if not wanted:
            return
        current = self._customers.get(client_id)
        if current is None:
            current = self._customer(await self._http.json("GET", f"customers/{_syncro_id(client_id)}"))
        body = {"properties": {**current.properties, **wanted}}
        answer = await self._http.json("PUT", f"customers/{current.id}", body=body)
        record = self._customer(answer)
        if any(key not in record.properties for key in wanted):
            record = self._customer(await self._http.json("GET", f"customers/{current.id}"))
        self._learn("customer", client_id, wanted, record.properties)

    async def _customer_page(self, params: dict[str, Any]) -> Page[SyncroCustomer]:
        page = self._http.shape(SyncroCustomerPage, await self._http.json("GET", "customers", params=params))
        for customer in page.customers:
            self._customers.put(str(customer.id), customer)
        return Page(page.customers, more=params["page"] < page.meta.total_pages)

    def _customer(self, answer: Any) -> SyncroCustomer:
        record = self._http.shape(SyncroCustomer, _unwrap(answer, "customer"))
        self._customers.put(str(record.id), record)
        return record

    # --- contacts --------------------------------------------------------------------------------

    async def list_contacts(self, client_id: str) -> list[PsaContact]:
        customer = _syncro_id(client_id)

        async def page(number: int) -> Page[SyncroContact]:
            params = {"customer_id": customer, "page": number}
            answer = self._http.shape(SyncroContactPage, await self._http.json("GET", "contacts", params=params))
            return Page(answer.contacts, more=number < answer.meta.total_pages)

        records = [r for r in await every_page(page) if r.customer_id in (None, customer)]
        if records:
            shown = all(r.title_shown for r in records)
            if shown != self._title_shown:
                log.info(
                    "syncro: contact answers %s a title; comparing titles %s",
                    *(("carry", "again") if shown else ("lack", "stopped")),
                )
            self._title_shown = shown
        for record in records:
            self._contacts.put(str(record.id), record)
        self._note_known_missing(client_id)
        # Asked by customer: an answer that leaves `customer_id` out still means this customer's contacts.
        return [contact_of(r.model_copy(update={"customer_id": customer})) for r in records]

    async def _create(self, client_id: str, item: NewContact) -> PsaContact:
        fields, facts = item.fields, item.facts
        values = {name: value for name, value in field_body(fields.model_dump(by_alias=False)).items() if value.strip()}
        name = join_name(fields.first_name, fields.last_name) or fields.email
        body: dict[str, Any] = {"customer_id": _syncro_id(client_id), "name": name, **values}
        wanted = self._kept("contact", client_id, contact_fact_properties(facts)) if facts is not None else {}
        wanted = {key: value for key, value in wanted.items() if value}
        if wanted:
            body["properties"] = wanted
        record = self._contact(await self._http.json("POST", "contacts", body=body))
        follow: dict[str, Any] = {}
        if values.get("title") and (record.title or "").strip() != values["title"].strip():
            follow["title"] = values["title"]  # Syncro takes a title on PUT only
        lost = {key: value for key, value in wanted.items() if key not in record.properties}
        if lost:
            follow["properties"] = {**record.properties, **lost}
        if follow:
            try:
                record = await self._put(client_id, record, follow, probe=lost)
            except PsaUnavailable:
                raise
            except PsaError as exc:
                log.warning("syncro contact %s created, but its title or facts were refused: %s", record.id, exc)
                return contact_of(record).model_copy(update={"microsoft": None})
        contact = contact_of(record)
        return contact.model_copy(update={"microsoft": facts}) if facts is not None else contact

    async def _change(self, client_id: str, item: ContactChange) -> None:
        body: dict[str, Any] = field_body(item.changes)
        if not self._title_shown:
            body.pop("title", None)  # written on create, never compared: see the module docstring
        renamed = "first_name" in item.changes or "last_name" in item.changes
        wanted: dict[str, str] = {}
        if item.facts is not None:
            wanted |= self._kept("contact", client_id, contact_fact_properties(item.facts))
        if item.active is not None:
            wanted |= self._kept("contact", client_id, inactive_properties(item.active, item.inactive_reason))
        if not body and not wanted and not renamed:
            return  # nothing Syncro can hold (R8.1)
        current = self._contacts.get(item.contact_id) or await self._get_contact(item.contact_id)
        if renamed:
            first, last = contact_of(current).first_name, contact_of(current).last_name
            body["name"] = join_name(item.changes.get("first_name", first), item.changes.get("last_name", last))
        if wanted:
            body["properties"] = {**current.properties, **wanted}
        await self._put(client_id, current, body, probe=wanted)

    async def _put(
        self, client_id: str, current: SyncroContact, body: dict[str, Any], *, probe: Mapping[str, str]
    ) -> SyncroContact:
        """PUT `body` (with the `name` Syncro requires) and learn which `probe` custom fields exist."""
        payload = {"name": body.get("name") or current.name or current.email or f"Contact {current.id}", **body}
        record = self._contact(await self._http.json("PUT", f"contacts/{current.id}", body=payload))
        if any(key not in record.properties for key in probe):
            record = await self._get_contact(str(record.id))  # be sure before skipping a field
        self._learn("contact", client_id, probe, record.properties)
        return record

    async def _get_contact(self, contact_id: str) -> SyncroContact:
        return self._contact(await self._http.json("GET", f"contacts/{_syncro_id(contact_id)}"))

    def _contact(self, answer: Any) -> SyncroContact:
        record = self._http.shape(SyncroContact, _unwrap(answer, "contact"))
        self._contacts.put(str(record.id), record)
        return record

    # --- custom fields that may not exist --------------------------------------------------------

    def _kept(self, scope: str, client_id: str, values: Mapping[str, str]) -> dict[str, str]:
        """`values` without the custom fields known to be missing (noted for the client's run)."""
        kept = {}
        for key, value in values.items():
            if self._missing.missing(f"{scope}:{key}"):
                self._notes.add(client_id, _missing_note(scope, key))
            else:
                kept[key] = value
        return kept

    def _learn(self, scope: str, client_id: str, sent: Mapping[str, str], stored: Mapping[str, Any]) -> None:
        lost = [key for key in sent if key not in stored]
        self._missing.found(f"{scope}:{key}" for key in sent if key in stored)
        if lost:
            log.warning("syncro has no %s custom field(s) %s: skipped", scope, ", ".join(lost))
            self._missing.mark(f"{scope}:{key}" for key in lost)
            for key in lost:
                self._notes.add(client_id, _missing_note(scope, key))

    def _note_known_missing(self, client_id: str) -> None:
        for key in [INACTIVE_PROPERTY, *CONTACT_FACT_PROPERTIES.values()]:
            if self._missing.missing(f"contact:{key}"):
                self._notes.add(client_id, _missing_note("contact", key))
        for key in CUSTOMER_FACT_PROPERTIES.values():
            if self._missing.missing(f"customer:{key}"):
                self._notes.add(client_id, _missing_note("customer", key))


def _missing_note(scope: str, key: str) -> str:
    what = _WHAT.get(key, "a Microsoft 365 fact")
    return f"Syncro has no {scope} custom field '{key}' ({what}): create it in Syncro to keep it; skipped until then"


def _syncro_id(value: str) -> int:
    if not value.isdigit():
        raise PsaRefused(f"{value!r} is not a Syncro id (Syncro's ids are numbers)", status=400)
    return int(value)


def _unwrap(answer: Any, key: str) -> Any:
    """A record answered bare (Syncro's contacts) or under its kind (`{"customer": {...}}`)."""
    if isinstance(answer, dict) and isinstance(answer.get(key), dict):
        return answer[key]
    return answer
