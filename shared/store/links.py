"""Contact links: one partition per tenant, one row per Entra user linked to a PSA contact."""

from __future__ import annotations

from collections.abc import Iterable

from shared.models import ContactLink
from shared.store.account import StorageAccount
from shared.store.batch import upsert_batched
from shared.store.entities import get_model, query_models, to_entity
from shared.store.names import Table

__all__ = ["TableLinkStore"]


class TableLinkStore:
    def __init__(self, account: StorageAccount) -> None:
        self._table = account.table(Table.CONTACT_LINKS)

    async def for_tenant(self, tenant_id: str) -> list[ContactLink]:
        return await query_models(self._table, ContactLink, "PartitionKey eq @pk", pk=tenant_id)

    async def get(self, tenant_id: str, user_id: str) -> ContactLink | None:
        return await get_model(self._table, tenant_id, user_id, ContactLink)

    async def save_many(self, links: Iterable[ContactLink]) -> int:
        """Upsert links in transactions of up to 100 (one tenant's partition); returns the transactions.
        Callers pass only links that changed (the planner leaves an unchanged link out)."""
        return await upsert_batched(self._table, (_link_entity(link) for link in links))

    async def save(self, link: ContactLink) -> None:
        await self._table.upsert_entity(_link_entity(link))


def _link_entity(link: ContactLink) -> dict[str, object]:
    return to_entity(link.tenant_id, link.user_id, link, contactId=link.contact_id, clientId=link.client_id)
