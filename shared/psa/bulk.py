"""Many contacts of one client at once: through the connector's bulk calls when it has them
(`BulkContacts`), else one call per contact and action, in the order a single user's apply uses."""

from __future__ import annotations

from collections.abc import Sequence

from shared.errors import PsaError
from shared.models import PsaContact
from shared.psa.port import BulkContacts, ContactChange, ContactDirectory, NewContact

__all__ = ["change_contacts", "create_contacts"]


async def create_contacts(
    psa: ContactDirectory, client_id: str, new: Sequence[NewContact]
) -> list[PsaContact | PsaError]:
    if not new:
        return []
    if isinstance(psa, BulkContacts):
        return await psa.create_contacts(client_id, new)
    results: list[PsaContact | PsaError] = []
    for item in new:
        try:
            contact = await psa.create_contact(client_id, item.fields, entra_user_id=item.entra_user_id)
        except PsaError as exc:
            results.append(exc)
            continue
        if item.facts is not None:
            try:
                await psa.write_contact_facts(client_id, contact.id, item.facts)
                contact = contact.model_copy(update={"microsoft": item.facts})
            except PsaError:
                pass  # the contact exists and is linked; its facts differ, so the next pass writes them
        results.append(contact)
    return results


async def change_contacts(
    psa: ContactDirectory, client_id: str, changes: Sequence[ContactChange]
) -> list[PsaError | None]:
    if not changes:
        return []
    if isinstance(psa, BulkContacts):
        return await psa.change_contacts(client_id, changes)
    results: list[PsaError | None] = []
    for item in changes:
        try:
            await change_one(psa, client_id, item)
        except PsaError as exc:
            results.append(exc)
        else:
            results.append(None)
    return results


async def change_one(psa: ContactDirectory, client_id: str, item: ContactChange) -> None:
    if item.changes:
        await psa.update_contact(client_id, item.contact_id, item.changes)
    if item.facts is not None:
        await psa.write_contact_facts(client_id, item.contact_id, item.facts)
    if item.active is not None:
        await psa.set_contact_active(client_id, item.contact_id, item.active, item.inactive_reason)
