"""`ConnectWiseConnector`: ConnectWise PSA (`.../v4_6_release/apis/3.0`) as a `PsaConnector`.

What it does with what ConnectWise has (`mapping` has the field names):

* **Auth**: Basic `companyId+publicKey:privateKey` and the `clientId` header; every answer pinned to
  one API version by `Accept: application/vnd.connectwise.com+json; version=...`.
* **Lists**: `GET /company/contacts?conditions=company/id=N` (inactive contacts too) and
  `GET /company/companies`, `pageSize=1000`, forward-only (`paging`).
* **Writes**: a create is one `POST` with the contact's email and phones as communication items.
  Every change is a `PATCH` of JSON-patch `replace` ops on the changed fields only (R8.6); never a
  `PUT`, which blanks every field not sent. Emails and phones change through
  `/company/contacts/{id}/communications` (patching `communicationItems` is refused by ConnectWise
  with a cast error): the item's value is patched, or an item is added. A new primary email that the
  contact already has as another `Email` item becomes the default one instead of a second copy.
  Custom fields (the Entra id when configured as one, the facts) are sent as the whole array
  (`custom_fields`), since ConnectWise replaces it whole. The bulk calls are one request per contact:
  a create carries its facts, and a contact's changes, activation and facts are one `PATCH`.
* **Inactive**: `inactiveFlag` (R8.3).

Unconfirmed, and which way it went:

* Communication types are referred to by name (`{"type": {"name": "Direct"}}`), with the id too once
  a record showed it; if ConnectWise took ids only, the first create of a database would be refused
  with its message (that user fails), the next ones carry the learned id.
* The `Link` of a forward-only page carries the next `pageId` (a next link without one stops the
  list with `PsaUnavailable` rather than lose the rest).
* A company create needs `identifier` and `name` only; the identifier is the name's letters and
  digits (25 at most), with a number added if that identifier is taken.
* There is no endpoint for custom field definitions here: their ids are learned from the records.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from shared.errors import PsaRefused, PsaUnavailable
from shared.models import Capabilities, ClientMicrosoftFacts, PsaClient, PsaContact
from shared.psa.connectwise.custom_fields import COMPANY, CONTACT, CwCustomFields
from shared.psa.connectwise.mapping import (
    COMMUNICATED,
    HELD_FIELDS,
    ContactShape,
    client_of,
    company_identifier,
    contact_of,
    create_body,
    first_of_type,
    patch_ops,
    primary_email,
)
from shared.psa.connectwise.paging import FORWARD_ONLY, PAGE_SIZE, next_page_id
from shared.psa.connectwise.records import CwCompany, CwContact
from shared.psa.http import PsaHttpClient, RequestStats
from shared.psa.http.memory import RecordCache
from shared.psa.http.paging import MAX_PAGES
from shared.psa.one_by_one import OneByOne
from shared.psa.port import ContactChange, NewContact

__all__ = ["ConnectWiseConnector"]

log = logging.getLogger(__name__)

CONTACTS, COMPANIES = "company/contacts", "company/companies"


class ConnectWiseConnector(OneByOne):
    """A `PsaConnector` (with `BulkContacts` and `RunNotes`) over one ConnectWise PSA company; see the
    module docstring."""

    def __init__(self, http: PsaHttpClient, shape: ContactShape) -> None:
        self._http = http
        self._shape = shape
        self._custom = CwCustomFields()
        self._contacts: RecordCache[str, CwContact] = RecordCache()
        self._companies: RecordCache[str, CwCompany] = RecordCache()
        self._type_ids: dict[str, int] = {}

    @property
    def stats(self) -> RequestStats:
        return self._http.stats

    async def aclose(self) -> None:
        await self._http.aclose()

    @property
    def capabilities(self) -> Capabilities:
        facts = self._shape.facts
        contact = frozenset(f for f, caption in facts.contact.items() if self._custom.has(CONTACT, caption))
        client = frozenset(f for f, caption in facts.client.items() if self._custom.has(COMPANY, caption))
        return Capabilities(
            fields=HELD_FIELDS,
            contact_fact_fields=contact,
            client_fact_fields=client,
            additional_emails=True,
            inactive_flag=True,
            contact_facts=bool(contact),
            client_facts=bool(client),
            client_website=True,
            entra_id_field=self._entra_id_kept(),
            bulk=True,  # a contact's items merge into one PATCH, its facts ride on its create
        )

    def take_notes(self, client_id: str) -> list[str]:
        return self._custom.notes.take(client_id)

    # --- companies -------------------------------------------------------------------------------

    async def list_clients(self) -> list[PsaClient]:
        companies = [self._company(item) for item in await self._list(COMPANIES, {})]
        return [client_of(c, self._shape.facts) for c in companies]

    async def get_client(self, client_id: str) -> PsaClient | None:
        if not client_id.isdigit():
            return None
        try:
            record = self._company(await self._http.json("GET", f"{COMPANIES}/{client_id}"))
        except PsaRefused as exc:
            if exc.status == 404:
                return None
            raise
        return client_of(record, self._shape.facts)

    async def create_client(self, name: str, *, website: str | None, domains: list[str]) -> PsaClient:
        """A company of that exact name is returned rather than a second one made."""
        for item in await self._list(COMPANIES, {"conditions": f"name={_quoted(name)}"}):
            company = self._company(item)
            if (company.name or "").strip().casefold() == name.strip().casefold():
                return client_of(company, self._shape.facts)
        body: dict[str, Any] = {"name": name}
        if website:
            body["website"] = website
        attempt = 0
        while True:
            try:
                answer = await self._http.json(
                    "POST", COMPANIES, body={**body, "identifier": company_identifier(name, attempt)}
                )
            except PsaRefused as exc:
                attempt += 1
                if "identifier" not in str(exc).lower() or attempt == 3:
                    raise
                continue
            return client_of(self._company(answer), self._shape.facts)

    async def write_client_facts(self, client_id: str, facts: ClientMicrosoftFacts) -> None:
        await self._know_fields(COMPANY)
        company = self._companies.get(client_id) or self._company(
            await self._http.json("GET", f"{COMPANIES}/{_cw_id(client_id)}")
        )
        fields = self._custom.whole_array(
            client_id, COMPANY, company.custom_fields, self._shape.facts.client_values(facts)
        )
        if fields is None:
            return
        ops = [{"op": "replace", "path": "customFields", "value": fields}]
        self._company(await self._http.json("PATCH", f"{COMPANIES}/{company.id}", body=ops))

    def _company(self, answer: Any) -> CwCompany:
        record = self._http.shape(CwCompany, answer)
        self._companies.put(str(record.id), record)
        self._custom.learn(COMPANY, record.custom_fields)
        return record

    # --- contacts --------------------------------------------------------------------------------

    async def list_contacts(self, client_id: str) -> list[PsaContact]:
        conditions = {"conditions": f"company/id={_cw_id(client_id)}"}
        records = [self._contact(item) for item in await self._list(CONTACTS, conditions)]
        mine = [r for r in records if r.company is None or str(r.company.id) == client_id]
        captions = [*self._shape.facts.contact.values(), *filter(None, [self._entra_caption()])]
        self._custom.note_missing(client_id, CONTACT, captions)
        self._custom.note_missing(client_id, COMPANY, self._shape.facts.client.values())
        return [contact_of(r, self._shape).model_copy(update={"client_id": client_id}) for r in mine]

    async def _create(self, client_id: str, item: NewContact) -> PsaContact:
        await self._know_fields(CONTACT)
        caption = self._entra_caption()
        values = {caption: item.entra_user_id} if caption is not None else {}
        if item.facts is not None:
            values |= {k: v for k, v in self._shape.facts.contact_values(item.facts).items() if v}
        known = values and self._custom.known(CONTACT)
        custom = (self._custom.whole_array(client_id, CONTACT, [], values) or []) if known else []
        body = create_body(_cw_id(client_id), item.fields, item.entra_user_id, self._shape, custom)
        for communication in body.get("communicationItems", []):
            type_id = self._type_ids.get(str(communication["type"]["name"]).lower())
            if type_id is not None:
                communication["type"]["id"] = type_id
        record = self._contact(await self._http.json("POST", CONTACTS, body=body))
        if values and not custom and any(self._custom.has(CONTACT, c) for c in values):
            # The database had no contact to learn the fields' ids from; the new one shows them.
            learned = self._custom.whole_array(client_id, CONTACT, record.custom_fields, values)
            if learned is not None:
                ops = [_replace("customFields", learned)]
                record = self._contact(await self._http.json("PATCH", f"{CONTACTS}/{record.id}", body=ops))
        contact = contact_of(record, self._shape).model_copy(update={"client_id": client_id})
        return contact.model_copy(update={"microsoft": item.facts}) if item.facts is not None else contact

    async def _change(self, client_id: str, item: ContactChange) -> None:
        """One PATCH of the contact's changed fields, activation and custom fields; its emails and
        phones through its communications."""
        changes = {k: v for k, v in item.changes.items() if k in HELD_FIELDS}
        ops = patch_ops(changes)
        if item.active is not None:
            ops.append(_replace("inactiveFlag", not item.active))
        talk = {k: v for k, v in changes.items() if k in COMMUNICATED}
        current = await self._current(item.contact_id) if talk or item.facts is not None else None
        if item.facts is not None and current is not None:
            values = self._shape.facts.contact_values(item.facts)
            fields = self._custom.whole_array(client_id, CONTACT, current.custom_fields, values)
            if fields is not None:
                ops.append(_replace("customFields", fields))
        if ops:
            self._contact(await self._http.json("PATCH", f"{CONTACTS}/{_cw_id(item.contact_id)}", body=ops))
        if talk and current is not None:
            added = await self._set_email(current, talk["email"].strip()) if "email" in talk else False
            for kind, type_name in (("phone", self._shape.phone_type), ("mobile", self._shape.mobile_type)):
                if kind in talk:
                    added = await self._set_phone(current, type_name, talk[kind].strip()) or added
            if added:  # the new item's id, for the next change
                await self._fetch(item.contact_id)

    async def _set_email(self, current: CwContact, value: str) -> bool:
        """The contact's primary email set to `value`; True when an item was added."""
        items = f"{CONTACTS}/{current.id}/communications"
        emails = [i for i in current.communication_items if i.is_email]
        same = next((i for i in emails if i.value.strip().lower() == value.lower()), None)
        if same is not None:  # an alias becomes the primary: no second copy of it
            if not same.default_flag:
                await self._http.json("PATCH", f"{items}/{same.id}", body=[_replace("defaultFlag", True)])
            return False
        primary = primary_email(current)
        if primary is not None:
            await self._http.json("PATCH", f"{items}/{primary.id}", body=[_replace("value", value)])
            return False
        await self._http.json("POST", items, body={"type": self._type("Email"), "value": value, "defaultFlag": True})
        return True

    async def _set_phone(self, current: CwContact, type_name: str, value: str) -> bool:
        """The contact's first number of `type_name` set to `value`; True when an item was added."""
        items = f"{CONTACTS}/{current.id}/communications"
        held = first_of_type(current, type_name)
        if held is not None:
            await self._http.json("PATCH", f"{items}/{held.id}", body=[_replace("value", value)])
            return False
        has_phone = any((i.communication_type or "").lower() == "phone" for i in current.communication_items)
        body = {"type": self._type(type_name), "value": value, "defaultFlag": not has_phone}
        await self._http.json("POST", items, body=body)
        return True

    def _type(self, name: str) -> dict[str, Any]:
        type_id = self._type_ids.get(name.lower())
        return {"id": type_id, "name": name} if type_id is not None else {"name": name}

    async def _current(self, contact_id: str) -> CwContact:
        return self._contacts.get(contact_id) or await self._fetch(contact_id)

    async def _fetch(self, contact_id: str) -> CwContact:
        return self._contact(await self._http.json("GET", f"{CONTACTS}/{_cw_id(contact_id)}"))

    def _contact(self, answer: Any) -> CwContact:
        record = self._http.shape(CwContact, answer)
        self._contacts.put(str(record.id), record)
        self._custom.learn(CONTACT, record.custom_fields)
        for item in record.communication_items:
            if item.type.id is not None and item.type.name:
                self._type_ids.setdefault(item.type.name.lower(), item.type.id)
        return record

    # --- custom fields and the Entra id -----------------------------------------------------------

    def _entra_caption(self) -> str | None:
        """The custom field's caption that holds the Entra id; None when it is a UDF or nowhere."""
        name = self._shape.entra_id_field.strip()
        return name if name and self._shape.entra_id_udf is None else None

    def _entra_id_kept(self) -> bool:
        if self._shape.entra_id_udf is not None:
            return True
        caption = self._entra_caption()
        return caption is not None and self._custom.has(CONTACT, caption)

    async def _know_fields(self, kind: str) -> None:
        """Read one record of `kind` when none has been seen, to learn the custom fields' ids."""
        if self._custom.known(kind):
            return
        path = CONTACTS if kind == CONTACT else COMPANIES
        answer = await self._http.json("GET", path, params={"pageSize": 1})
        for item in answer if isinstance(answer, list) else []:
            if kind == CONTACT:
                self._contact(item)
            else:
                self._company(item)

    # --- lists -----------------------------------------------------------------------------------

    async def _list(self, path: str, params: Mapping[str, str]) -> list[Any]:
        """Every record of a list, forward-only (`paging`)."""
        items: list[Any] = []
        page_id: str | None = None
        for _ in range(MAX_PAGES):
            query: dict[str, str | int] = {**params, "pageSize": PAGE_SIZE}
            if page_id is not None:
                query["pageId"] = page_id
            response = await self._http.request("GET", path, params=query, headers=FORWARD_ONLY)
            try:
                page = response.json()
            except ValueError as exc:
                raise PsaUnavailable(f"connectwise answered GET /{path} with a body that is not JSON") from exc
            if not isinstance(page, list):
                raise PsaUnavailable(f"connectwise answered GET /{path} with something other than a list")
            items += page
            try:
                page_id = next_page_id(response.headers.get("Link"))
            except ValueError as exc:
                raise PsaUnavailable(f"connectwise GET /{path}: {exc}") from exc
            if page_id is None or not page:
                return items
        raise PsaUnavailable(f"connectwise kept answering more pages past {MAX_PAGES}; listing stopped")


def _replace(path: str, value: Any) -> dict[str, Any]:
    return {"op": "replace", "path": path, "value": value}


def _quoted(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _cw_id(value: str) -> int:
    if not value.isdigit():
        raise PsaRefused(f"{value!r} is not a ConnectWise id (ConnectWise's ids are numbers)", status=400)
    return int(value)
