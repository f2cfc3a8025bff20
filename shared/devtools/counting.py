"""A PsaConnector wrapper that counts the writes made through it (runs and reports show them)."""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence

from shared.errors import PsaError
from shared.models import ClientMicrosoftFacts, ContactFields, MicrosoftFacts, PsaClient, PsaContact
from shared.psa.port import BulkContacts, Capabilities, ContactChange, NewContact, PsaConnector, take_psa_notes

__all__ = ["CountingConnector"]


class CountingConnector:
    """Counts create / update / activate operations (`writes`) and reads (`reads`); facts are counted
    apart. `calls` counts the calls reaching the PSA: a bulk call is one.

    It offers bulk calls exactly when the inner connector does (its `capabilities` are passed on), so
    the sync takes the same path through it as without it; calling them otherwise is a TypeError."""

    def __init__(self, inner: PsaConnector) -> None:
        self.inner = inner
        self.writes = 0
        self.reads = 0
        self.fact_writes = 0
        self.calls = 0
        self.written_at: dict[str, float] = {}  # contact id -> time.time() of its last write (notification latency)

    @property
    def capabilities(self) -> Capabilities:
        return self.inner.capabilities

    def reset(self) -> None:
        self.writes = self.reads = self.fact_writes = self.calls = 0

    def take_notes(self, client_id: str) -> list[str]:
        """The inner connector's notes for the tenant's run (a custom field the PSA lacks, R8.4)."""
        return take_psa_notes(self.inner, client_id)

    async def aclose(self) -> None:
        """Close the inner connector (its HTTP client): the app closes only what it holds."""
        close = getattr(self.inner, "aclose", None)
        if close is not None:
            await close()

    async def list_clients(self) -> list[PsaClient]:
        self.calls += 1
        self.reads += 1
        return await self.inner.list_clients()

    async def get_client(self, client_id: str) -> PsaClient | None:
        self.calls += 1
        self.reads += 1
        return await self.inner.get_client(client_id)

    async def create_client(self, name: str, *, website: str | None, domains: list[str]) -> PsaClient:
        self.calls += 1
        self.writes += 1
        return await self.inner.create_client(name, website=website, domains=domains)

    async def write_client_facts(self, client_id: str, facts: ClientMicrosoftFacts) -> None:
        self.calls += 1
        self.fact_writes += 1
        await self.inner.write_client_facts(client_id, facts)

    async def list_contacts(self, client_id: str) -> list[PsaContact]:
        self.calls += 1
        self.reads += 1
        return await self.inner.list_contacts(client_id)

    async def create_contact(self, client_id: str, fields: ContactFields, *, entra_user_id: str) -> PsaContact:
        self.calls += 1
        self.writes += 1
        created = await self.inner.create_contact(client_id, fields, entra_user_id=entra_user_id)
        self.written_at[created.id] = time.time()
        return created

    async def update_contact(self, client_id: str, contact_id: str, changes: Mapping[str, str]) -> None:
        self.calls += 1
        self.writes += 1
        await self.inner.update_contact(client_id, contact_id, changes)
        self.written_at[contact_id] = time.time()

    async def set_contact_active(self, client_id: str, contact_id: str, active: bool, reason: str | None) -> None:
        self.calls += 1
        self.writes += 1
        await self.inner.set_contact_active(client_id, contact_id, active, reason)
        self.written_at[contact_id] = time.time()

    async def write_contact_facts(self, client_id: str, contact_id: str, facts: MicrosoftFacts) -> None:
        self.calls += 1
        self.fact_writes += 1
        await self.inner.write_contact_facts(client_id, contact_id, facts)

    async def create_contacts(self, client_id: str, new: Sequence[NewContact]) -> list[PsaContact | PsaError]:
        inner = self._bulk()
        self.calls += 1
        self.writes += len(new)
        self.fact_writes += sum(item.facts is not None for item in new)
        made = await inner.create_contacts(client_id, new)
        self.written_at |= dict.fromkeys((c.id for c in made if isinstance(c, PsaContact)), time.time())
        return made

    async def change_contacts(self, client_id: str, changes: Sequence[ContactChange]) -> list[PsaError | None]:
        inner = self._bulk()
        self.calls += 1
        self.writes += sum(bool(c.changes) + (c.active is not None) for c in changes)
        self.fact_writes += sum(c.facts is not None for c in changes)
        outcomes = await inner.change_contacts(client_id, changes)
        written = (
            c.contact_id
            for c, error in zip(changes, outcomes, strict=False)
            if error is None and (c.changes or c.active is not None)
        )
        self.written_at |= dict.fromkeys(written, time.time())
        return outcomes

    def _bulk(self) -> BulkContacts:
        if not self.inner.capabilities.bulk or not isinstance(self.inner, BulkContacts):
            raise TypeError(f"{type(self.inner).__name__} has no bulk calls (capabilities.bulk is false)")
        return self.inner
