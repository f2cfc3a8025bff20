"""`HaloConnector`: HaloPSA (`https://<tenant>.halopsa.com/api`) as a `PsaConnector` with `BulkContacts`.

What it does with what Halo has (`mapping` has the field names):

* **Auth**: OAuth2 client credentials (`auth`), one token fetch at a time, renewed before it expires.
* **Lists** read `GET /Users?client_id=&includeinactive=true` (Halo leaves inactive users out
  otherwise) with `pageinate=true`, `page_size` and `page_no`, until the users read reach
  `record_count` (or a page comes back empty when Halo gives no count): a page smaller than asked
  for (Halo's largest page size is unconfirmed) is not taken for the last one.
* **Writes** all go through `POST /Users`, a JSON array: an item without `id` creates, one with `id`
  updates only the keys sent (R8.6). Creates and changes travel `batch_size` users to an array (the
  bulk calls), a contact's changes, activation and facts merged into one item. A user needs a
  `site_id`: the client's `main_site_id`, else its first site from `GET /Site?client_id=`.
* **A refused array**: Halo answers one error for the whole array. Whether it then saved none of the
  items (as the fake does) or some is unconfirmed, so before sending the items again one by one the
  connector lists the client's users and drops each create Halo already took (found by `azureoid`):
  either way no user is created twice, and only the refused item fails (R3.5).
* **Entra object id** in `azureoid` on create (R8.5): the planner relinks by it.
* **Facts** (R8.4) in the custom fields named in the settings, checked against `/FieldInfo`
  (`custom_fields`); a missing one is skipped with one note per tenant run.
* **Pace**: Halo publishes no limit; `rate_limit_requests` per rolling `rate_window_seconds` (300 per
  5 minutes) for the whole app, each instance its share (`shared.psa.http.pacing`).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any, TypeVar

from pydantic import BaseModel

from shared.errors import PsaError, PsaRefused, PsaUnavailable
from shared.models import Capabilities, ClientMicrosoftFacts, ContactFields, MicrosoftFacts, PsaClient, PsaContact
from shared.psa.halopsa.auth import HaloTokens
from shared.psa.halopsa.custom_fields import HaloCustomFields
from shared.psa.halopsa.mapping import HELD_FIELDS, NO_AUTOMATIONS, client_of, contact_of, create_body, update_body
from shared.psa.halopsa.records import (
    HaloClient,
    HaloClientPage,
    HaloFieldInfo,
    HaloSitePage,
    HaloUser,
    HaloUserPage,
)
from shared.psa.http import Page, PsaHttpClient, RequestStats, every_page
from shared.psa.http.memory import RecordCache
from shared.psa.one_by_one import by_contact, merged
from shared.psa.port import ContactChange, NewContact

__all__ = ["HaloConnector"]

log = logging.getLogger(__name__)

R = TypeVar("R", bound=BaseModel)


class HaloConnector:
    """A `PsaConnector` (with `BulkContacts` and `RunNotes`) over one HaloPSA instance; see the module
    docstring. `stats` counts its API requests (`tokens.fetches` the token requests)."""

    def __init__(
        self, http: PsaHttpClient, tokens: HaloTokens, custom: HaloCustomFields, *, page_size: int, batch_size: int
    ) -> None:
        self._http = http
        self.tokens = tokens
        self._custom = custom
        self._page_size = page_size
        self._batch_size = batch_size
        self._users: RecordCache[str, HaloUser] = RecordCache()
        self._clients: RecordCache[str, HaloClient] = RecordCache()
        self._sites: RecordCache[str, int] = RecordCache()

    @property
    def stats(self) -> RequestStats:
        return self._http.stats

    async def aclose(self) -> None:
        await self._http.aclose()
        await self.tokens.aclose()

    @property
    def capabilities(self) -> Capabilities:
        contact, client = self._custom.contact_fields(), self._custom.client_fields()
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
            bulk=True,
        )

    def take_notes(self, client_id: str) -> list[str]:
        return self._custom.notes.take(client_id)

    # --- clients ---------------------------------------------------------------------------------

    async def list_clients(self) -> list[PsaClient]:
        clients = await self._pages("Client", HaloClientPage, "clients", {"includeinactive": "true"})
        for client in clients:
            self._remember_client(client)
        return [client_of(c, self._custom.facts) for c in clients]

    async def get_client(self, client_id: str) -> PsaClient | None:
        if not client_id.isdigit():
            return None
        try:
            record = await self._get_client(client_id)
        except PsaRefused as exc:
            if exc.status == 404:
                return None
            raise
        return client_of(record, self._custom.facts)

    async def create_client(self, name: str, *, website: str | None, domains: list[str]) -> PsaClient:
        """A client of that exact name is returned rather than a second one made (an import asked
        twice, or retried after a crash; Halo's `search` matches substrings)."""
        wanted = name.strip().casefold()
        params = {"search": name, "includeinactive": "true"}
        for client in await self._pages("Client", HaloClientPage, "clients", params):
            if (client.name or "").strip().casefold() == wanted:
                self._remember_client(client)
                return client_of(client, self._custom.facts)
        body: dict[str, Any] = {"name": name, **NO_AUTOMATIONS}
        if website:
            body["website"] = website
        domain = next(iter(domains), None) or website
        if domain:
            body["domain"] = domain
        [saved] = await self._save("Client", [body], HaloClient)
        self._remember_client(saved)
        return client_of(saved, self._custom.facts)

    async def write_client_facts(self, client_id: str, facts: ClientMicrosoftFacts) -> None:
        await self._refresh_fields()
        items = self._custom.only_kept(client_id, self._custom.facts.client_values(facts), "Client")
        if not items:
            return
        body = {"id": _halo_id(client_id), "customfields": items, **NO_AUTOMATIONS}
        try:
            [saved] = await self._save("Client", [body], HaloClient)
        except PsaRefused as exc:
            if not _about_custom_fields(str(exc), {item["name"] for item in items}):
                raise
            self._custom.refused(item["name"] for item in items)
            self._custom.note_missing(client_id)
            log.warning("halopsa refused client %s's custom fields: %s", client_id, exc)
            return
        self._remember_client(saved)

    async def _get_client(self, client_id: str) -> HaloClient:
        record = self._http.shape(HaloClient, await self._http.json("GET", f"Client/{_halo_id(client_id)}"))
        self._remember_client(record)
        return record

    def _remember_client(self, client: HaloClient) -> None:
        self._clients.put(str(client.id), client)
        if client.main_site_id:
            self._sites.put(str(client.id), client.main_site_id)

    # --- contacts --------------------------------------------------------------------------------

    async def list_contacts(self, client_id: str) -> list[PsaContact]:
        await self._refresh_fields()
        params = {"client_id": str(_halo_id(client_id)), "includeinactive": "true"}
        users = await self._pages("Users", HaloUserPage, "users", params)
        mine = [u for u in users if u.client_id is None or str(u.client_id) == client_id]
        for user in mine:
            self._users.put(str(user.id), user)
        self._custom.note_missing(client_id)
        # Asked by client: an answer that leaves `client_id` out still means this client's users.
        return [contact_of(u.model_copy(update={"client_id": int(client_id)}), self._custom.facts) for u in mine]

    async def create_contact(self, client_id: str, fields: ContactFields, *, entra_user_id: str) -> PsaContact:
        [result] = await self.create_contacts(client_id, [NewContact(entra_user_id, fields)])
        if isinstance(result, PsaError):
            raise result
        return result

    async def update_contact(self, client_id: str, contact_id: str, changes: Mapping[str, str]) -> None:
        await self._one_change(client_id, ContactChange(contact_id=contact_id, changes=changes))

    async def set_contact_active(self, client_id: str, contact_id: str, active: bool, reason: str | None) -> None:
        await self._one_change(client_id, ContactChange(contact_id=contact_id, active=active, inactive_reason=reason))

    async def write_contact_facts(self, client_id: str, contact_id: str, facts: MicrosoftFacts) -> None:
        await self._one_change(client_id, ContactChange(contact_id=contact_id, facts=facts))

    async def create_contacts(self, client_id: str, new: Sequence[NewContact]) -> list[PsaContact | PsaError]:
        """`batch_size` users an array; see the module docstring for a refused array."""
        if not new:
            return []
        if any(item.facts is not None for item in new):
            await self._refresh_fields()  # once an hour: only the custom fields Halo has are sent
        site = await self._site(client_id)
        bodies = [self._create_body(client_id, site, item) for item in new]
        results: list[PsaContact | PsaError] = []
        for start in range(0, len(new), self._batch_size):
            chunk = list(range(start, min(start + self._batch_size, len(new))))
            results += await self._create_chunk(client_id, [new[i] for i in chunk], [bodies[i] for i in chunk])
        return results

    async def change_contacts(self, client_id: str, changes: Sequence[ContactChange]) -> list[PsaError | None]:
        """A contact's items merged into one array item, `batch_size` contacts an array; a refused
        array is sent again contact by contact, and a refused contact item by item, so each item's
        result is its own."""
        results: list[PsaError | None] = [None] * len(changes)
        if any(item.facts is not None for item in changes):
            await self._refresh_fields()
        work: list[tuple[dict[str, Any], list[int]]] = []
        for contact_id, indexes in by_contact(changes).items():
            body = await self._change_body(client_id, merged(contact_id, [changes[i] for i in indexes]))
            if body is not None:
                work.append((body, indexes))
        for start in range(0, len(work), self._batch_size):
            chunk = work[start : start + self._batch_size]
            try:
                await self._save_users(client_id, [body for body, _ in chunk])
                continue
            except PsaUnavailable:
                raise
            except PsaError as exc:
                if len(chunk) == 1 and len(chunk[0][1]) == 1:
                    results[chunk[0][1][0]] = exc
                    continue
            for body, indexes in chunk:
                await self._change_alone(client_id, body, indexes, changes, results)
        return results

    async def _change_alone(
        self,
        client_id: str,
        body: dict[str, Any],
        indexes: list[int],
        changes: Sequence[ContactChange],
        results: list[PsaError | None],
    ) -> None:
        try:
            await self._save_users(client_id, [body])
            return
        except PsaUnavailable:
            raise
        except PsaError as exc:
            if len(indexes) == 1:
                results[indexes[0]] = exc
                return
        for index in indexes:
            one = await self._change_body(client_id, changes[index])
            if one is None:
                continue
            try:
                await self._save_users(client_id, [one])
            except PsaUnavailable:
                raise
            except PsaError as exc:
                results[index] = exc

    async def _one_change(self, client_id: str, item: ContactChange) -> None:
        [result] = await self.change_contacts(client_id, [item])
        if result is not None:
            raise result

    async def _create_chunk(
        self, client_id: str, new: list[NewContact], bodies: list[dict[str, Any]]
    ) -> list[PsaContact | PsaError]:
        try:
            saved = await self._save_users(client_id, bodies)
        except PsaUnavailable:
            raise
        except PsaError as exc:
            if len(bodies) == 1:
                return [exc]
            return await self._create_one_by_one(client_id, new, bodies)
        by_oid = {(u.azureoid or "").lower(): u for u in saved}
        ordered = [by_oid.get(item.entra_user_id.lower()) for item in new]
        if any(u is None for u in ordered) and len(saved) == len(new):
            ordered = list(saved)  # Halo did not echo azureoid: its answer is in the order sent
        return [self._created(client_id, u, item) for u, item in zip(ordered, new, strict=True)]

    async def _create_one_by_one(
        self, client_id: str, new: list[NewContact], bodies: list[dict[str, Any]]
    ) -> list[PsaContact | PsaError]:
        """After a refused array: the creates Halo took anyway are found by `azureoid`, the rest sent alone."""
        taken = {c.entra_user_id.lower(): c for c in await self.list_contacts(client_id) if c.entra_user_id}
        results: list[PsaContact | PsaError] = []
        for item, body in zip(new, bodies, strict=True):
            found = taken.get(item.entra_user_id.lower())
            if found is not None:
                results.append(found.model_copy(update={"microsoft": item.facts}))
                continue
            try:
                [user] = await self._save_users(client_id, [body])
            except PsaUnavailable:
                raise
            except PsaError as exc:
                results.append(exc)
                continue
            results.append(self._created(client_id, user, item))
        return results

    def _created(self, client_id: str, user: HaloUser | None, item: NewContact) -> PsaContact | PsaError:
        if user is None:
            return PsaRefused("halopsa answered the save without this user", status=None)
        self._users.put(str(user.id), user)
        contact = contact_of(user.model_copy(update={"client_id": int(client_id)}), self._custom.facts)
        return contact.model_copy(update={"microsoft": item.facts}) if item.facts is not None else contact

    def _create_body(self, client_id: str, site: int, item: NewContact) -> dict[str, Any]:
        body = create_body(site, item.fields, item.entra_user_id)
        if item.facts is not None:
            values = {k: v for k, v in self._custom.facts.contact_values(item.facts).items() if v}
            items = self._custom.only_kept(client_id, values, "Users")
            if items:
                body["customfields"] = items
        return body

    async def _change_body(self, client_id: str, item: ContactChange) -> dict[str, Any] | None:
        """The user's array item for `item`; None when it holds nothing Halo keeps (R8.1)."""
        changes = {k: v for k, v in item.changes.items() if k in HELD_FIELDS}
        current = self._users.get(item.contact_id)
        needs_record = any(k in changes for k in ("first_name", "last_name", "street", "city", "state", "postal_code"))
        if needs_record and current is None:
            current = self._http.shape(HaloUser, await self._http.json("GET", f"Users/{_halo_id(item.contact_id)}"))
            self._users.put(str(current.id), current)
        body = update_body(item.contact_id, changes, current)
        if item.active is not None:
            body["inactive"] = not item.active
        if item.facts is not None:
            items = self._custom.only_kept(client_id, self._custom.facts.contact_values(item.facts), "Users")
            if items:
                body["customfields"] = items
        return body if set(body) - {"id", *NO_AUTOMATIONS} else None

    async def _save_users(self, client_id: str, bodies: list[dict[str, Any]]) -> list[HaloUser]:
        """POST /Users; a refusal about the custom fields an array carried is tried once more without
        them (a field on the wrong table, `custom_fields`), and those fields are skipped from then on.
        Not an array of several creates: Halo may have taken some of them (the caller looks first)."""
        try:
            saved = await self._save("Users", bodies, HaloUser)
        except PsaRefused as exc:
            names = {str(f["name"]) for body in bodies for f in body.get("customfields", [])}
            creates = sum(1 for body in bodies if "id" not in body)
            if not _about_custom_fields(str(exc), names) or (creates and len(bodies) > 1):
                raise
            bare = [{k: v for k, v in body.items() if k != "customfields"} for body in bodies]
            bare = [body for body in bare if set(body) - {"id", *NO_AUTOMATIONS}]
            saved = await self._save("Users", bare, HaloUser) if bare else []
            log.warning("halopsa refused the custom field(s) %s: skipped from now on", ", ".join(sorted(names)))
            self._custom.refused(names)
            self._custom.note_missing(client_id)
        for user in saved:
            self._users.put(str(user.id), user)
        return saved

    async def _save(self, path: str, bodies: list[dict[str, Any]], model: type[R]) -> list[R]:
        answer = await self._http.json("POST", path, body=bodies)
        items = answer if isinstance(answer, list) else [answer] if answer is not None else []
        return [self._http.shape(model, item) for item in items]

    async def _site(self, client_id: str) -> int:
        known = self._sites.get(client_id)
        if known is not None:
            return known
        client = self._clients.get(client_id) or await self._get_client(client_id)
        if client.main_site_id:
            return client.main_site_id
        answer = await self._http.json("GET", "Site", params={"client_id": str(_halo_id(client_id))})
        page = self._http.shape(HaloSitePage, {"sites": answer} if isinstance(answer, list) else answer)
        sites = [s for s in page.sites if s.client_id in (None, int(client_id))]
        site = next((s for s in sites if not s.inactive), next(iter(sites), None))
        if site is None:
            raise PsaRefused(f"halopsa client {client_id} has no site for its users: add one in Halo", status=400)
        self._sites.put(client_id, site.id)
        return site.id

    # --- shared ----------------------------------------------------------------------------------

    async def _refresh_fields(self) -> None:
        if not self._custom.stale():
            return
        try:
            answer = await self._http.json("GET", "FieldInfo")
        except PsaUnavailable:
            raise
        except PsaError as exc:
            log.warning("halopsa: could not read /FieldInfo (%s); custom fields not checked", exc)
            return
        items = answer if isinstance(answer, list) else (answer or {}).get("fields", [])
        self._custom.learn(HaloFieldInfo.model_validate(item).name for item in items if isinstance(item, dict))

    async def _pages(self, path: str, model: type[Any], key: str, params: Mapping[str, str]) -> list[Any]:
        """Every page of a list (see the module docstring for when it ends)."""
        seen = 0

        async def fetch(number: int) -> Page[Any]:
            nonlocal seen
            query = {**params, "pageinate": "true", "page_size": str(self._page_size), "page_no": str(number)}
            answer = await self._http.json("GET", path, params=query)
            page = self._http.shape(model, {key: answer} if isinstance(answer, list) else answer)
            items: list[Any] = getattr(page, key)
            seen += len(items)
            total = page.record_count
            return Page(items, more=bool(items) and (total is None or seen < total))

        return await every_page(fetch)


def _about_custom_fields(message: str, names: set[str]) -> bool:
    """Halo's refusal names a custom field we sent (its wording is unconfirmed: a field's name, or
    "custom field", in the message)."""
    text = message.lower()
    return bool(names) and ("custom" in text or any(name.lower() in text for name in names))


def _halo_id(value: str) -> int:
    if not value.isdigit():
        raise PsaRefused(f"{value!r} is not a HaloPSA id (Halo's ids are numbers)", status=400)
    return int(value)
