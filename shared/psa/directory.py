"""The built-in contact directory: clients and contacts in Table Storage, for MSPs without a connector.

Clients live in one partition; contacts in one partition per client, so a client's contacts are one
partition query.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

from azure.core.exceptions import ResourceExistsError, ResourceNotFoundError
from azure.data.tables import TableEntity
from azure.data.tables.aio import TableClient
from pydantic import BaseModel

from shared.errors import NotFound, PsaError, PsaUnavailable, StorageError, StorageUnavailable
from shared.models import (
    CONTACT_FIELDS,
    ClientMicrosoftFacts,
    ContactFields,
    MicrosoftFacts,
    PsaClient,
    PsaContact,
)
from shared.psa.port import Capabilities, ContactChange, NewContact
from shared.store.account import StorageAccount
from shared.store.batch import BatchFailed, submit_batch, upsert_batched
from shared.store.entities import BATCH_LIMIT, check_key, from_entity, query_models, read_modify_write, to_entity
from shared.store.names import Table

__all__ = ["TableDirectory"]

M = TypeVar("M", bound=BaseModel)

_CLIENTS = "client"
_KEYS_PER_QUERY = 14  # Table Storage allows 15 comparisons in a filter: the partition and 14 row keys
_KEPT_CLIENTS = 1000  # clients read and kept (with their ETags) for the facts write that may follow
_KEPT_LISTS = 32  # clients whose listed contacts are kept (with their ETags) for the changes that may follow


_CAPABILITIES = Capabilities(bulk=True)  # holds every field, flag and fact natively


class TableDirectory:
    """A PsaConnector on Table Storage, with the bulk calls (`BulkContacts`): a client's new contacts
    go in transactions of 100, changes in one read per 14 contacts and transactions of 100.
    `unique_emails` makes it refuse, like some PSAs do, a contact whose email another client's contact
    already has (costs a table scan per create)."""

    def __init__(self, account: StorageAccount, *, unique_emails: bool = False) -> None:
        self._clients = account.table(Table.DIRECTORY_CLIENTS)
        self._contacts = account.table(Table.DIRECTORY_CONTACTS)
        self._unique_emails = unique_emails
        # A pass reads its client, then writes the client's facts if they changed: the write goes
        # under the ETag of that read instead of reading the client again.
        self._read: dict[str, TableEntity] = {}
        # Likewise a pass lists its client's contacts, then changes some: the changes go under the
        # ETags of that listing (a contact changed since is read again) instead of a query per 14.
        self._listed: dict[str, dict[str, tuple[PsaContact, str]]] = {}

    @property
    def capabilities(self) -> Capabilities:
        return _CAPABILITIES

    # clients
    async def list_clients(self) -> list[PsaClient]:
        clients = await query_models(self._clients, PsaClient, "PartitionKey eq @pk", pk=_CLIENTS)
        return sorted(clients, key=lambda c: c.id)

    async def get_client(self, client_id: str) -> PsaClient | None:
        try:
            entity = await self._clients.get_entity(_CLIENTS, check_key(client_id, "clientId"))
        except ResourceNotFoundError:
            self._read.pop(client_id, None)
            return None
        if len(self._read) >= _KEPT_CLIENTS:
            self._read.clear()
        self._read[client_id] = entity
        return from_entity(entity, PsaClient)

    async def create_client(self, name: str, *, website: str | None, domains: list[str]) -> PsaClient:
        client = PsaClient(id=_stable_id("c", name.lower(), *domains), name=name, website=website, domains=domains)
        try:
            await self._clients.create_entity(to_entity(_CLIENTS, client.id, client))
        except ResourceExistsError:
            existing = await self.get_client(client.id)
            if existing is not None:
                return existing  # made by an earlier try of the same import
            raise
        return client

    async def put_clients(self, clients: list[PsaClient]) -> None:
        """Load clients as they are (seeding the directory from a scenario or an import)."""
        await upsert_batched(self._clients, (to_entity(_CLIENTS, c.id, c) for c in clients))

    async def write_client_facts(self, client_id: str, facts: ClientMicrosoftFacts) -> None:
        def with_facts(current: PsaClient | None) -> PsaClient:
            if current is None:
                raise NotFound(f"client {client_id} not found")
            return current.model_copy(update={"microsoft": facts})

        known = self._read.pop(client_id, None)
        try:
            await self._read_modify_write(
                self._clients,
                _CLIENTS,
                check_key(client_id, "clientId"),
                PsaClient,
                with_facts,
                known=known,
                what=f"client {client_id}",
            )
        except ResourceNotFoundError as exc:  # gone since it was read
            raise NotFound(f"client {client_id} not found") from exc

    # contacts
    async def list_contacts(self, client_id: str) -> list[PsaContact]:
        rows = self._contacts.query_entities(
            "PartitionKey eq @pk", parameters={"pk": check_key(client_id)}, select=["json"]
        )
        pairs = [(from_entity(row, PsaContact), str(row.metadata["etag"])) async for row in rows]
        # Kept as stored: the caller gets its own copies to do with as it likes.
        kept = {contact.id: (contact, etag) for contact, etag in pairs}
        if len(self._listed) >= _KEPT_LISTS:
            self._listed.pop(next(iter(self._listed)))  # the oldest listing
        self._listed[client_id] = kept
        return sorted((contact.model_copy() for contact, _ in pairs), key=lambda c: c.id)

    async def get_contact(self, client_id: str, contact_id: str) -> PsaContact | None:
        try:
            entity = await self._contacts.get_entity(check_key(client_id), check_key(contact_id, "contactId"))
        except ResourceNotFoundError:
            return None
        return from_entity(entity, PsaContact)

    async def put_contacts(self, contacts: list[PsaContact]) -> None:
        await upsert_batched(self._contacts, (_contact_entity(c) for c in contacts))

    async def create_contact(self, client_id: str, fields: ContactFields, *, entra_user_id: str) -> PsaContact:
        if self._unique_emails and fields.email:
            await self._refuse_duplicate_email(client_id, fields.email)
        return await self._create(_new_contact(client_id, NewContact(entra_user_id, fields)))

    async def create_contacts(self, client_id: str, new: Sequence[NewContact]) -> list[PsaContact | PsaError]:
        results: list[PsaContact | PsaError | None] = [None] * len(new)
        pending: list[tuple[int, PsaContact]] = []
        for index, item in enumerate(new):
            if self._unique_emails and item.fields.email:
                try:
                    await self._refuse_duplicate_email(client_id, item.fields.email)
                except PsaError as exc:
                    results[index] = exc
                    continue
            pending.append((index, _new_contact(client_id, item)))
        for start in range(0, len(pending), BATCH_LIMIT):
            chunk = pending[start : start + BATCH_LIMIT]
            try:
                await submit_batch(self._contacts, [("create", _contact_entity(c)) for _, c in chunk])
            except BatchFailed as exc:
                if exc.code != "EntityAlreadyExists":
                    raise
                # An earlier try made some of them (the ids are stable): one by one, keeping those.
                for index, contact in chunk:
                    results[index] = await self._create(contact)
                continue
            for index, contact in chunk:
                results[index] = contact
        return [r for r in results if r is not None]

    async def _create(self, contact: PsaContact) -> PsaContact:
        try:
            await self._contacts.create_entity(_contact_entity(contact))
        except ResourceExistsError:
            existing = await self.get_contact(contact.client_id, contact.id)
            if existing is not None:
                return existing
            raise
        return contact

    async def update_contact(self, client_id: str, contact_id: str, changes: Mapping[str, str]) -> None:
        unknown = set(changes) - set(CONTACT_FIELDS)
        if unknown:
            raise PsaError(f"unknown contact fields: {', '.join(sorted(unknown))}")
        await self._modify(client_id, contact_id, dict(changes))

    async def set_contact_active(self, client_id: str, contact_id: str, active: bool, reason: str | None) -> None:
        await self._modify(client_id, contact_id, {"active": active, "inactive_reason": None if active else reason})

    async def write_contact_facts(self, client_id: str, contact_id: str, facts: MicrosoftFacts) -> None:
        await self._modify(client_id, contact_id, {"microsoft": facts})

    async def change_contacts(self, client_id: str, changes: Sequence[ContactChange]) -> list[PsaError | None]:
        results: list[PsaError | None] = [None] * len(changes)
        updates: dict[str, dict[str, Any]] = {}  # contact id -> the update, items for one contact merged
        owners: dict[str, list[int]] = {}
        for index, item in enumerate(changes):
            unknown = set(item.changes) - set(CONTACT_FIELDS)
            if unknown:
                results[index] = PsaError(f"unknown contact fields: {', '.join(sorted(unknown))}")
                continue
            updates.setdefault(item.contact_id, {}).update(_update_of(item))
            owners.setdefault(item.contact_id, []).append(index)
        listed = self._listed.pop(client_id, {})
        current = {contact_id: listed[contact_id] for contact_id in updates if contact_id in listed}
        current |= await self._get_many(client_id, [contact_id for contact_id in updates if contact_id not in current])
        rows: list[tuple[str, dict[str, Any], str]] = []
        for contact_id, update in updates.items():
            if contact_id not in current:
                for index in owners[contact_id]:
                    results[index] = PsaError(f"contact {contact_id} not found in client {client_id}", status=404)
                continue
            contact, etag = current[contact_id]
            rows.append((contact_id, _contact_entity(contact.model_copy(update=update)), etag))
        for start in range(0, len(rows), BATCH_LIMIT):
            chunk = rows[start : start + BATCH_LIMIT]
            try:
                await submit_batch(self._contacts, [("update", row, etag) for _, row, etag in chunk])
            except BatchFailed:
                # Someone changed one of them since we read it: one by one, each read again.
                for contact_id, _, _ in chunk:
                    try:
                        await self._modify(client_id, contact_id, updates[contact_id])
                    except PsaError as exc:
                        for index in owners[contact_id]:
                            results[index] = exc
        return results

    async def _get_many(self, client_id: str, contact_ids: list[str]) -> dict[str, tuple[PsaContact, str]]:
        """The contacts with these ids and their ETags, one query per 14 ids."""
        found: dict[str, tuple[PsaContact, str]] = {}
        pk = check_key(client_id)
        for start in range(0, len(contact_ids), _KEYS_PER_QUERY):
            ids = contact_ids[start : start + _KEYS_PER_QUERY]
            names = {f"r{i}": check_key(contact_id, "contactId") for i, contact_id in enumerate(ids)}
            query = "PartitionKey eq @pk and ( " + " or ".join(f"RowKey eq @{name}" for name in names) + " )"
            async for entity in self._contacts.query_entities(query, parameters={"pk": pk, **names}):
                found[str(entity["RowKey"])] = (from_entity(entity, PsaContact), str(entity.metadata["etag"]))
        return found

    async def _modify(self, client_id: str, contact_id: str, update: dict[str, Any]) -> None:
        # Read-modify-write under the ETag: a concurrent change makes us read again, never lose it.
        def change(current: PsaContact | None) -> PsaContact:
            if current is None:
                raise PsaError(f"contact {contact_id} not found in client {client_id}", status=404)
            return current.model_copy(update=update)

        await self._read_modify_write(
            self._contacts,
            client_id,
            check_key(contact_id, "contactId"),
            PsaContact,
            change,
            row=_contact_entity,
            what=f"contact {contact_id}",
        )

    @staticmethod
    async def _read_modify_write(
        table: TableClient,
        pk: str,
        rk: str,
        model: type[M],
        change: Callable[[M | None], M],
        *,
        what: str,
        row: Callable[[M], dict[str, Any]] | None = None,
        known: TableEntity | None = None,
    ) -> None:
        """`read_modify_write` with the directory's errors: an outage is PsaUnavailable, a row that kept
        changing a 409 PsaError."""
        try:
            await read_modify_write(table, pk, rk, model, change, retries=5, row=row, known=known)
        except StorageUnavailable as exc:
            # An outage is not this user's fault: the tenant's attempt fails and the host retries it (R8.7).
            raise PsaUnavailable(f"the directory is unavailable: {exc}") from exc
        except StorageError as exc:
            raise PsaError(f"{what} kept changing under us; try again", status=409) from exc

    async def _refuse_duplicate_email(self, client_id: str, email: str) -> None:
        rows = self._contacts.query_entities(
            "emailLower eq @e", parameters={"e": email.strip().lower()}, select=["PartitionKey", "RowKey"]
        )
        async for row in rows:
            if row["PartitionKey"] != client_id:
                raise PsaError(
                    f"a contact with email {email} already exists under another client ({row['PartitionKey']})",
                    status=409,
                )


def _new_contact(client_id: str, item: NewContact) -> PsaContact:
    # The id follows from (client, user): a create retried after a crash finds the first one.
    return PsaContact(
        id=_stable_id("k", client_id, item.entra_user_id),
        client_id=client_id,
        entra_user_id=item.entra_user_id,
        microsoft=item.facts,
        **item.fields.model_dump(),
    )


def _update_of(item: ContactChange) -> dict[str, Any]:
    update: dict[str, Any] = dict(item.changes)
    if item.facts is not None:
        update["microsoft"] = item.facts
    if item.active is not None:
        update |= {"active": item.active, "inactive_reason": None if item.active else item.inactive_reason}
    return update


def _stable_id(kind: str, *parts: str) -> str:
    return f"{kind}-{hashlib.sha256('|'.join(parts).encode()).hexdigest()[:12]}"


def _contact_entity(contact: PsaContact) -> dict[str, Any]:
    return to_entity(
        contact.client_id, contact.id, contact, emailLower=contact.email.strip().lower(), active=contact.active
    )
