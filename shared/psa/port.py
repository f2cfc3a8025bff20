"""The PSA port: what the sync needs of any PSA. Adapters: the built-in directory, then real PSAs."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

from shared.errors import PsaError
from shared.models import Capabilities, ClientMicrosoftFacts, ContactFields, MicrosoftFacts, PsaClient, PsaContact

__all__ = [
    "BulkContacts",
    "Capabilities",
    "ClientDirectory",
    "ContactChange",
    "ContactDirectory",
    "NewContact",
    "PsaConnector",
    "RunNotes",
    "take_psa_notes",
]


class ClientDirectory(Protocol):
    async def list_clients(self) -> list[PsaClient]: ...

    async def get_client(self, client_id: str) -> PsaClient | None: ...

    async def create_client(self, name: str, *, website: str | None, domains: list[str]) -> PsaClient: ...

    async def write_client_facts(self, client_id: str, facts: ClientMicrosoftFacts) -> None: ...


class ContactDirectory(Protocol):
    async def list_contacts(self, client_id: str) -> list[PsaContact]:
        """Every contact of the client, active or not."""
        ...

    async def create_contact(self, client_id: str, fields: ContactFields, *, entra_user_id: str) -> PsaContact:
        """Raises PsaError with the PSA's own message when the PSA refuses (e.g. the email exists elsewhere)."""
        ...

    async def update_contact(self, client_id: str, contact_id: str, changes: Mapping[str, str]) -> None:
        """Write only the fields named in `changes` (ContactFields names)."""
        ...

    async def set_contact_active(self, client_id: str, contact_id: str, active: bool, reason: str | None) -> None: ...

    async def write_contact_facts(self, client_id: str, contact_id: str, facts: MicrosoftFacts) -> None: ...


class PsaConnector(ClientDirectory, ContactDirectory, Protocol):
    """Everything the app does with a PSA. Nothing here deletes: the sync never deletes in a PSA.

    Errors: `PsaRefused` for one item the PSA will not take (that user fails, R3.5); `PsaUnavailable`
    when the PSA is throttling past its retries or is down (the tenant's attempt fails and the host
    retries it, R8.7)."""

    @property
    def capabilities(self) -> Capabilities: ...


@dataclass(frozen=True)
class NewContact:
    """A contact to create for an Entra user, with its Microsoft 365 facts (R4.1, R4.4)."""

    entra_user_id: str
    fields: ContactFields
    facts: MicrosoftFacts | None = None


@dataclass(frozen=True)
class ContactChange:
    """What to write on one existing contact: changed fields (R4.2), facts (R4.4), active or not (R5)."""

    contact_id: str
    changes: Mapping[str, str] = field(default_factory=dict)
    facts: MicrosoftFacts | None = None
    active: bool | None = None
    inactive_reason: str | None = None


@runtime_checkable
class BulkContacts(Protocol):
    """Optional: a PSA that can write many contacts of one client in a few calls. The sync uses it
    when the connector's `capabilities.bulk` says so (`shared.service.apply`), else the one-by-one calls.
    `PsaUnavailable` is raised, never listed as an item's result."""

    async def create_contacts(self, client_id: str, new: Sequence[NewContact]) -> list[PsaContact | PsaError]:
        """One result per item, in order: the contact (created now, or by an earlier try of the same
        item; its `microsoft` None when the PSA took the contact but not its facts) or the PSA's
        refusal of that item."""
        ...

    async def change_contacts(self, client_id: str, changes: Sequence[ContactChange]) -> list[PsaError | None]:
        """One result per item, in order: None when written, or the PSA's refusal of that item. Each
        item is taken or refused whole; the sync sends a contact's facts as an item of their own."""
        ...


@runtime_checkable
class RunNotes(Protocol):
    """Optional: a connector with something to say in a tenant's result, e.g. a custom field the PSA
    does not have, so its facts are skipped (R8.4: one note per tenant run, never a failure)."""

    def take_notes(self, client_id: str) -> list[str]:
        """The notes gathered for this client since the last call (each once)."""
        ...


def take_psa_notes(psa: object, client_id: str) -> list[str]:
    """The connector's notes for the client's run; [] from a connector that keeps none."""
    return psa.take_notes(client_id) if isinstance(psa, RunNotes) else []
