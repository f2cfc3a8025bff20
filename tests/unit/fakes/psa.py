"""`MemoryPsa`: an in-memory PSA connector, with or without the bulk calls (`bulk=`), that counts what
it is asked and what it writes, and injects faults: refuse every write on a contact with a given
email (`refuse`, the PSA's `PsaRefused`, or a bare `PsaError` like an older adapter), refuse only its
facts (`refuse_facts`), or raise `PsaUnavailable` on the Nth create / update / activation / facts write
(`unavailable_on`). The Nth is counted per contact in both modes, so a bulk call dies half-way as a
real one would: the items before it are written, and nothing is returned."""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace

from shared.errors import PsaError, PsaRefused, PsaUnavailable
from shared.models import (
    Capabilities,
    ClientMicrosoftFacts,
    ContactFields,
    MicrosoftFacts,
    PsaClient,
    PsaContact,
)
from shared.psa.port import BulkContacts, ContactChange, NewContact, PsaConnector

__all__ = ["MemoryPsa"]


class MemoryPsa:
    def __init__(
        self,
        *,
        bulk: bool = False,
        clients: Iterable[PsaClient] = (),
        contacts: Iterable[PsaContact] = (),
        capabilities: Capabilities | None = None,
    ) -> None:
        self._capabilities = replace(capabilities or Capabilities(), bulk=bulk)
        self.clients: dict[str, PsaClient] = {c.id: c.model_copy(deep=True) for c in clients}
        self.contacts: dict[str, PsaContact] = {c.id: c.model_copy(deep=True) for c in contacts}
        self.refusal: type[PsaError] = PsaRefused
        self._refused: dict[str, str] = {}  # lower-cased email -> the PSA's message
        self._refused_facts: set[str] = set()
        self.refuse_client_facts: str | None = None  # the PSA's message refusing the client's facts
        self._unavailable: dict[str, set[int]] = {}
        self.attempts: Counter[str] = Counter()  # per contact: create, update, activate, facts
        self.done: Counter[str] = Counter()  # what the PSA took, per kind
        self.calls: Counter[str] = Counter()  # per method called (a bulk call is one)
        self.faults_fired: Counter[str] = Counter()
        self._ids = itertools.count(1)

    # test controls
    def refuse(self, email: str, message: str | None = None) -> None:
        """Refuse creating, changing or writing facts on a contact with this email, or giving a
        contact this email (R3.5)."""
        self._refused[email.lower()] = message or f"a contact with email {email} already exists under another client"

    def refuse_facts(self, email: str) -> None:
        self._refused_facts.add(email.lower())

    def unavailable_on(self, kind: str, nth: int) -> None:
        """The `nth` create / update / activate / facts write (counted from now on) raises PsaUnavailable."""
        self._unavailable.setdefault(kind, set()).add(self.attempts[kind] + nth)

    @property
    def writes(self) -> int:
        """Creates, updates and activations taken (facts are counted apart, in `done["facts"]`)."""
        return self.done["create"] + self.done["update"] + self.done["activate"]

    def of_client(self, client_id: str) -> list[PsaContact]:
        return sorted((c for c in self.contacts.values() if c.client_id == client_id), key=lambda c: c.id)

    # faults
    def _attempt(self, kind: str, *emails: str, facts: bool = False) -> None:
        """Count one write of `kind` on a contact with `emails` (its own, and a new one it is given)."""
        self.attempts[kind] += 1
        if self.attempts[kind] in self._unavailable.get(kind, set()):
            self.faults_fired[f"unavailable {kind}"] += 1
            raise PsaUnavailable(f"the PSA is unavailable (503) on {kind} #{self.attempts[kind]}", status=503)
        lowered = [email.lower() for email in emails if email]
        message = next((self._refused[e] for e in lowered if e in self._refused), None)
        if message is None and facts and any(e in self._refused_facts for e in lowered):
            message = "the PSA refused the contact's custom fields"
        if message is not None:
            self.faults_fired[f"refused {kind}"] += 1
            raise self.refusal(message, status=422)

    def _contact(self, client_id: str, contact_id: str) -> PsaContact:
        contact = self.contacts.get(contact_id)
        if contact is None or contact.client_id != client_id:
            raise self.refusal(f"contact {contact_id} not found in client {client_id}", status=404)
        return contact

    # PsaConnector
    @property
    def capabilities(self) -> Capabilities:
        return self._capabilities

    async def list_clients(self) -> list[PsaClient]:
        self.calls["list_clients"] += 1
        return [self.clients[k].model_copy(deep=True) for k in sorted(self.clients)]

    async def get_client(self, client_id: str) -> PsaClient | None:
        self.calls["get_client"] += 1
        client = self.clients.get(client_id)
        return client.model_copy(deep=True) if client else None

    async def create_client(self, name: str, *, website: str | None, domains: list[str]) -> PsaClient:
        self.calls["create_client"] += 1
        client = PsaClient(id=f"c-new-{next(self._ids)}", name=name, website=website, domains=domains)
        self.clients[client.id] = client
        self.done["create_client"] += 1
        return client.model_copy(deep=True)

    async def write_client_facts(self, client_id: str, facts: ClientMicrosoftFacts) -> None:
        self.calls["write_client_facts"] += 1
        if client_id not in self.clients:
            raise self.refusal(f"client {client_id} not found", status=404)
        if self.refuse_client_facts is not None:
            self.faults_fired["refused client_facts"] += 1
            raise self.refusal(self.refuse_client_facts, status=422)
        self.clients[client_id] = self.clients[client_id].model_copy(update={"microsoft": facts})
        self.done["client_facts"] += 1

    async def list_contacts(self, client_id: str) -> list[PsaContact]:
        self.calls["list_contacts"] += 1
        return [c.model_copy(deep=True) for c in self.of_client(client_id)]

    async def create_contact(self, client_id: str, fields: ContactFields, *, entra_user_id: str) -> PsaContact:
        self.calls["create_contact"] += 1
        return self._create(client_id, NewContact(entra_user_id, fields)).model_copy(deep=True)

    async def update_contact(self, client_id: str, contact_id: str, changes: Mapping[str, str]) -> None:
        self.calls["update_contact"] += 1
        self._change(client_id, ContactChange(contact_id=contact_id, changes=changes))

    async def set_contact_active(self, client_id: str, contact_id: str, active: bool, reason: str | None) -> None:
        self.calls["set_contact_active"] += 1
        self._change(client_id, ContactChange(contact_id=contact_id, active=active, inactive_reason=reason))

    async def write_contact_facts(self, client_id: str, contact_id: str, facts: MicrosoftFacts) -> None:
        self.calls["write_contact_facts"] += 1
        self._change(client_id, ContactChange(contact_id=contact_id, facts=facts))

    # BulkContacts, offered only with bulk=True
    async def create_contacts(self, client_id: str, new: Sequence[NewContact]) -> list[PsaContact | PsaError]:
        self._bulk_call("create_contacts")
        results: list[PsaContact | PsaError] = []
        for item in new:
            try:
                contact = self._create(client_id, NewContact(item.entra_user_id, item.fields))
            except PsaUnavailable:
                raise
            except PsaError as exc:
                results.append(exc)
                continue
            if item.facts is not None:
                try:
                    self._change(client_id, ContactChange(contact_id=contact.id, facts=item.facts))
                except PsaUnavailable:
                    raise
                except PsaError:
                    pass  # taken without its facts: the contact comes back with none
            results.append(self.contacts[contact.id].model_copy(deep=True))
        return results

    async def change_contacts(self, client_id: str, changes: Sequence[ContactChange]) -> list[PsaError | None]:
        self._bulk_call("change_contacts")
        results: list[PsaError | None] = []
        for item in changes:
            try:
                self._change(client_id, item)
            except PsaUnavailable:
                raise
            except PsaError as exc:
                results.append(exc)
            else:
                results.append(None)
        return results

    def _bulk_call(self, method: str) -> None:
        if not self._capabilities.bulk:
            raise TypeError(f"MemoryPsa(bulk=False) was asked for {method}")
        self.calls[method] += 1

    # the writes themselves
    def _create(self, client_id: str, item: NewContact) -> PsaContact:
        self._attempt("create", item.fields.email)
        contact = PsaContact(
            id=f"k-new-{next(self._ids)}",
            client_id=client_id,
            entra_user_id=item.entra_user_id,
            **item.fields.model_dump(),
        )
        self.contacts[contact.id] = contact
        self.done["create"] += 1
        return contact

    def _change(self, client_id: str, item: ContactChange) -> None:
        """One item, taken or refused whole: its fields and activation, or its facts."""
        contact = self._contact(client_id, item.contact_id)
        update: dict[str, object] = {}
        if item.changes or item.active is not None:
            emails = (contact.email, item.changes.get("email", ""))  # a PSA refuses an email it will not take
            self._attempt("update" if item.changes else "activate", *emails)
            if item.changes and item.active is not None:
                self._attempt("activate", *emails)
            update |= dict(item.changes)
            if item.active is not None:
                update |= {"active": item.active, "inactive_reason": None if item.active else item.inactive_reason}
        if item.facts is not None:
            self._attempt("facts", contact.email, facts=True)
            update["microsoft"] = item.facts
        self.contacts[contact.id] = contact.model_copy(update=update)
        if item.changes:
            self.done["update"] += 1
        if item.active is not None:
            self.done["activate"] += 1
        if item.facts is not None:
            self.done["facts"] += 1


# A port change breaks these at type-check time (`mypy tests/unit/fakes`).
_psa: PsaConnector = MemoryPsa()
_bulk: BulkContacts = MemoryPsa(bulk=True)
