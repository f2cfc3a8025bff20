"""`AutotaskConnector`: Autotask PSA (`https://webservicesN.autotask.net/ATServicesRest/V1.0`) as a
`PsaConnector`.

What it does with what Autotask has (`mapping` has the field names):

* **Zone** found once (`zone`), then every request goes to the zone's URL with the three auth
  headers (`spending`).
* **Lists** are JSON queries, `POST /Contacts/query` with `{"MaxRecords": 500, "filter": [{"op":
  "eq", "field": "companyID", "value": N}]}`, following `pageDetails.nextPageUrl` (a GET, only on the
  zone's own host) to the last page; inactive contacts are listed too.
* **Writes**: create `POST /Companies/{id}/Contacts` (answers `{"itemId"}`), change `PATCH` on the
  same child URL with the contact's `id` and only the changed fields (R8.6); never `PUT`, which
  nulls every field not sent. The bulk calls are one request per contact (the budget is scarce): a
  create carries its facts, and a contact's changes, activation and facts are one `PATCH`.
  `isActive` 1/0 (R8.3); `externalID` carries the Entra object id (R8.5).
* **Refusals**: Autotask answers a refused item with HTTP 500 and an `errors` array: that is
  `PsaRefused` (the user fails with Autotask's words), not an outage. A 500 without `errors`, a 503,
  a timeout or a reset is an outage (`PsaUnavailable` after the retries).
* **Budget**: Autotask's 10,000 requests an hour are shared by every tool of the MSP. The app spends
  at most `requests_per_hour` of them (default 2,000), counted across its instances the way the
  plumbing counts (each instance a 1/`PSA_MAX_INSTANCES` share of the hour, `shared.psa.http.pacing`),
  with at most 3 requests at once per endpoint (`spending.Slots`), and each tenant's result says what
  its pass spent ("Autotask: N requests this pass").
* **Facts** (R8.4) in UDFs named in the settings (`udfs`); a missing one is skipped with a note.

Unconfirmed, and which way it went: a `PATCH` with `userDefinedFields` changes only the UDFs it
names (as for fields; if Autotask blanked the others, only the app's own UDFs are there to lose, and
they are written whole each time); a 500 with `errors` on a query is a refusal too (a malformed query
is the connector's bug, and retrying it would only spend the budget).
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from shared.errors import PsaRefused, PsaUnavailable
from shared.models import Capabilities, ClientMicrosoftFacts, PsaClient, PsaContact
from shared.psa.autotask.mapping import HELD_FIELDS, client_of, contact_of, create_body, patch_body
from shared.psa.autotask.records import AtCompany, AtContact, AtItem, AtPage, AtUdfInfo
from shared.psa.autotask.spending import Slots, Spending
from shared.psa.autotask.udfs import COMPANIES, CONTACTS, AutotaskUdfs
from shared.psa.autotask.zone import ZoneDirectory
from shared.psa.fact_fields import FactFields
from shared.psa.http import PsaHttpClient, RequestStats
from shared.psa.http.paging import MAX_PAGES
from shared.psa.one_by_one import OneByOne
from shared.psa.port import ContactChange, NewContact

__all__ = ["MAX_RECORDS", "AutotaskConnector", "HttpFactory"]

log = logging.getLogger(__name__)

MAX_RECORDS = 500  # Autotask's largest page

HttpFactory = Callable[[str], PsaHttpClient]  # the API client for the zone's base URL


class AutotaskConnector(OneByOne):
    """A `PsaConnector` (with `BulkContacts` and `RunNotes`) over one Autotask database; see the module
    docstring.
    `stats` counts its API requests (zone lookups apart)."""

    def __init__(
        self,
        zone: ZoneDirectory,
        http_for: HttpFactory,
        facts: FactFields,
        *,
        threads_per_endpoint: int,
        budget_note: str,
        owner_resource_id: str = "",
    ) -> None:
        self._zone = zone
        self._http_for = http_for
        self._http: PsaHttpClient | None = None
        self._api_url = ""
        self._http_lock = asyncio.Lock()
        self._facts = facts
        self._slots = Slots(threads_per_endpoint)
        self._spending = Spending()
        self._udfs = AutotaskUdfs()
        self._udfs_lock = asyncio.Lock()  # one read of a UDF list at a time: the budget is scarce
        self._budget_note = budget_note
        self._owner = owner_resource_id.strip()
        self._spare_stats = RequestStats()

    @property
    def stats(self) -> RequestStats:
        return self._http.stats if self._http is not None else self._spare_stats

    async def aclose(self) -> None:
        if self._http is not None:
            await self._http.aclose()
        await self._zone.aclose()

    @property
    def capabilities(self) -> Capabilities:
        contact = frozenset(f for f, name in self._facts.contact.items() if self._udfs.has(CONTACTS, name))
        client = frozenset(f for f, name in self._facts.client.items() if self._udfs.has(COMPANIES, name))
        return Capabilities(
            fields=HELD_FIELDS,
            contact_fact_fields=contact,
            client_fact_fields=client,
            additional_emails=True,
            inactive_flag=True,
            contact_facts=bool(contact),
            client_facts=bool(client),
            client_website=True,
            entra_id_field=True,
            bulk=True,  # a contact's items merge into one PATCH, its facts ride on its create
        )

    def take_notes(self, client_id: str) -> list[str]:
        spent = self._spending.take(client_id)
        notes = self._udfs.notes.take(client_id)
        if spent:
            notes.append(f"Autotask: {spent} requests this pass ({self._budget_note})")
        return notes

    # --- companies -------------------------------------------------------------------------------

    async def list_clients(self) -> list[PsaClient]:
        items = await self._query(COMPANIES, [{"op": "gte", "field": "id", "value": 0}])
        return [client_of(AtCompany.model_validate(item), self._facts) for item in items]

    async def get_client(self, client_id: str) -> PsaClient | None:
        if not client_id.isdigit():
            return None
        with self._spending.for_client(client_id):
            answer = await self._send("GET", f"{COMPANIES}/{client_id}", "GET Companies/{id}")
        item = (await self._api()).shape(AtItem, answer).item
        return client_of(AtCompany.model_validate(item), self._facts) if item else None

    async def create_client(self, name: str, *, website: str | None, domains: list[str]) -> PsaClient:
        """A company of that exact name is returned rather than a second one made."""
        for item in await self._query(COMPANIES, [{"op": "eq", "field": "companyName", "value": name}]):
            company = AtCompany.model_validate(item)
            if (company.company_name or "").strip().casefold() == name.strip().casefold():
                return client_of(company, self._facts)
        body: dict[str, Any] = {"companyName": name, "companyType": 1, "isActive": True}
        if website:
            body["webAddress"] = website
        if self._owner.isdigit():
            body["ownerResourceID"] = int(self._owner)
        answer = await self._send("POST", COMPANIES, "POST Companies", body=body)
        return client_of(AtCompany.model_validate({**body, "id": _item_id(answer)}), self._facts)

    async def write_client_facts(self, client_id: str, facts: ClientMicrosoftFacts) -> None:
        with self._spending.for_client(client_id):
            await self._refresh_udfs(COMPANIES)
            udfs = self._udfs.only_kept(client_id, COMPANIES, self._facts.client_values(facts))
            if udfs:
                body = {"id": _at_id(client_id), "userDefinedFields": udfs}
                await self._send("PATCH", COMPANIES, "PATCH Companies", body=body)

    # --- contacts --------------------------------------------------------------------------------

    async def list_contacts(self, client_id: str) -> list[PsaContact]:
        company = _at_id(client_id)
        with self._spending.for_client(client_id):
            await self._refresh_udfs(CONTACTS)
            await self._refresh_udfs(COMPANIES)
            items = await self._query(CONTACTS, [{"op": "eq", "field": "companyID", "value": company}])
        records = [AtContact.model_validate(item) for item in items]
        mine = [r for r in records if r.company_id in (None, company)]
        self._udfs.note_missing(client_id, CONTACTS, self._facts.contact.values())
        self._udfs.note_missing(client_id, COMPANIES, self._facts.client.values())
        return [contact_of(r, self._facts).model_copy(update={"client_id": client_id}) for r in mine]

    async def _create(self, client_id: str, item: NewContact) -> PsaContact:
        company = _at_id(client_id)
        body = create_body(company, item.fields, item.entra_user_id)
        if item.facts is not None:
            with self._spending.for_client(client_id):
                await self._refresh_udfs(CONTACTS)  # once an hour: only the UDFs Autotask has are sent
            values = {k: v for k, v in self._facts.contact_values(item.facts).items() if v}
            udfs = self._udfs.only_kept(client_id, CONTACTS, values)
            if udfs:
                body["userDefinedFields"] = udfs
        with self._spending.for_client(client_id):
            answer = await self._send("POST", _children(company), "POST Companies/{id}/Contacts", body=body)
        record = AtContact.model_validate({**body, "id": _item_id(answer)})
        contact = contact_of(record, self._facts).model_copy(update={"client_id": client_id})
        return contact.model_copy(update={"microsoft": item.facts}) if item.facts is not None else contact

    async def _change(self, client_id: str, item: ContactChange) -> None:
        """One PATCH: the changed fields (R8.6), `isActive` and the facts' UDFs; nothing when none."""
        body = patch_body(item.contact_id, {k: v for k, v in item.changes.items() if k in HELD_FIELDS})
        if item.active is not None:
            body["isActive"] = 1 if item.active else 0
        if item.facts is not None:
            with self._spending.for_client(client_id):
                await self._refresh_udfs(CONTACTS)
            udfs = self._udfs.only_kept(client_id, CONTACTS, self._facts.contact_values(item.facts))
            if udfs:
                body["userDefinedFields"] = udfs
        if len(body) > 1:
            with self._spending.for_client(client_id):
                path = _children(_at_id(client_id))
                await self._send("PATCH", path, "PATCH Companies/{id}/Contacts", body=body)

    # --- requests --------------------------------------------------------------------------------

    async def _api(self) -> PsaHttpClient:
        if self._http is None:
            async with self._http_lock:
                if self._http is None:
                    self._api_url = await self._zone.api_url()
                    self._http = self._http_for(self._api_url)
        assert self._http is not None
        return self._http

    async def _send(self, method: str, path: str, endpoint: str, *, body: Any = None) -> Any:
        """One request, holding one of the endpoint's thread slots while it is paced and retried."""
        http = await self._api()
        async with self._slots(endpoint):
            return await http.json(method, path, body=body)

    async def _query(self, entity: str, filters: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Every item the query matches, page after page by `nextPageUrl`."""
        http = await self._api()
        search = {"MaxRecords": MAX_RECORDS, "filter": filters}
        answer = await self._send("POST", f"{entity}/query", f"POST {entity}/query", body=search)
        items: list[dict[str, Any]] = []
        for _ in range(MAX_PAGES):
            page = http.shape(AtPage, answer)
            items += page.items
            next_url = page.page_details.next_page_url
            if not next_url or not page.items:
                return items
            self._same_host(next_url)
            answer = await self._send("GET", next_url, f"GET {entity}/query/next")
        raise PsaUnavailable(f"autotask kept answering more pages past {MAX_PAGES}; listing stopped")

    def _same_host(self, url: str) -> None:
        ours = urlsplit(self._api_url)
        theirs = urlsplit(url)
        if (theirs.scheme, theirs.netloc.lower()) != (ours.scheme, ours.netloc.lower()):
            raise PsaUnavailable(f"autotask named a next page on another host ({theirs.netloc}); not followed")

    async def _refresh_udfs(self, entity: str) -> None:
        if not self._udfs.stale(entity):
            return
        async with self._udfs_lock:
            if self._udfs.stale(entity):
                await self._read_udfs(entity)

    async def _read_udfs(self, entity: str) -> None:
        try:
            answer = await self._send(
                "GET", f"{entity}/entityInformation/userDefinedFields", f"GET {entity}/entityInformation/udfs"
            )
        except PsaUnavailable:
            raise
        except PsaRefused as exc:
            log.warning("autotask: could not read the %s UDFs (%s); not checked", entity, exc)
            return
        self._udfs.learn(entity, (udf.name for udf in (await self._api()).shape(AtUdfInfo, answer).fields))


def _children(company: int) -> str:
    return f"{COMPANIES}/{company}/Contacts"


def _item_id(answer: Any) -> int:
    item_id = answer.get("itemId") if isinstance(answer, dict) else None
    if not isinstance(item_id, int):
        raise PsaUnavailable(f"autotask answered a create without its itemId: {json.dumps(answer)[:200]}")
    return item_id


def _at_id(value: str) -> int:
    if not value.isdigit():
        raise PsaRefused(f"{value!r} is not an Autotask id (Autotask's ids are numbers)", status=400)
    return int(value)
