"""The PSA port: what the sync needs of any PSA. Adapters: the built-in directory, then real PSAs."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

from shared.models import ClientMicrosoftFacts, ContactFields, MicrosoftFacts, PsaClient, PsaContact

__all__ = ["ClientDirectory", "ContactDirectory", "PsaConnector"]


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
    """Everything the app does with a PSA. Nothing here deletes: the sync never deletes in a PSA."""
