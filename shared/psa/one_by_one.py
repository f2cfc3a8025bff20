"""The port's contact writes for a PSA whose API writes one contact a request (Syncro, Alga PSA,
ConnectWise, Autotask): a connector says how one create and one change go out (`_create`, `_change`),
and `OneByOne` gives it the single and the bulk calls of the port with the same rules for all:

* a create the PSA refuses fails that user only (`PsaRefused`, R3.5); an outage (`PsaUnavailable`)
  stops the batch at once, so the host retries the tenant (R8.7);
* a contact's changes in one batch (fields, active, facts) go out as one request (`merged`); when the
  PSA refuses the merged request, each item is sent alone, so each item's result is its own.

HaloPSA writes arrays of users and has its own batching; it shares `merged` and `by_contact`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence

from shared.errors import PsaError, PsaUnavailable
from shared.models import ContactFields, MicrosoftFacts, PsaContact
from shared.psa.port import ContactChange, NewContact

__all__ = ["OneByOne", "by_contact", "merged"]


class OneByOne(ABC):
    @abstractmethod
    async def _create(self, client_id: str, item: NewContact) -> PsaContact:
        """Create one contact (its facts with it where the PSA keeps them)."""

    @abstractmethod
    async def _change(self, client_id: str, item: ContactChange) -> None:
        """Write one contact's change; nothing at all when the PSA holds none of it (R8.1)."""

    async def create_contact(self, client_id: str, fields: ContactFields, *, entra_user_id: str) -> PsaContact:
        return await self._create(client_id, NewContact(entra_user_id, fields))

    async def update_contact(self, client_id: str, contact_id: str, changes: Mapping[str, str]) -> None:
        await self._change(client_id, ContactChange(contact_id=contact_id, changes=changes))

    async def set_contact_active(self, client_id: str, contact_id: str, active: bool, reason: str | None) -> None:
        await self._change(client_id, ContactChange(contact_id=contact_id, active=active, inactive_reason=reason))

    async def write_contact_facts(self, client_id: str, contact_id: str, facts: MicrosoftFacts) -> None:
        await self._change(client_id, ContactChange(contact_id=contact_id, facts=facts))

    async def create_contacts(self, client_id: str, new: Sequence[NewContact]) -> list[PsaContact | PsaError]:
        results: list[PsaContact | PsaError] = []
        for item in new:
            try:
                results.append(await self._create(client_id, item))
            except PsaUnavailable:
                raise
            except PsaError as exc:
                results.append(exc)
        return results

    async def change_contacts(self, client_id: str, changes: Sequence[ContactChange]) -> list[PsaError | None]:
        results: list[PsaError | None] = [None] * len(changes)
        for contact_id, indexes in by_contact(changes).items():
            try:
                await self._change(client_id, merged(contact_id, [changes[i] for i in indexes]))
                continue
            except PsaUnavailable:
                raise
            except PsaError as exc:
                if len(indexes) == 1:
                    results[indexes[0]] = exc
                    continue
            for index in indexes:
                try:
                    await self._change(client_id, changes[index])
                except PsaUnavailable:
                    raise
                except PsaError as exc:
                    results[index] = exc
        return results


def by_contact(changes: Sequence[ContactChange]) -> dict[str, list[int]]:
    """The items' indexes by the contact they change, in the order first seen."""
    grouped: dict[str, list[int]] = {}
    for index, item in enumerate(changes):
        grouped.setdefault(item.contact_id, []).append(index)
    return grouped


def merged(contact_id: str, items: Sequence[ContactChange]) -> ContactChange:
    """One contact's items as one change: later fields over earlier ones, the last facts and the last
    active flag (with its reason)."""
    changes: dict[str, str] = {}
    facts, active, reason = None, None, None
    for item in items:
        changes.update(item.changes)
        facts = item.facts if item.facts is not None else facts
        if item.active is not None:
            active, reason = item.active, item.inactive_reason
    return ContactChange(contact_id=contact_id, changes=changes, facts=facts, active=active, inactive_reason=reason)
