"""Ambiguities waiting for a person (R6): one partition per tenant, one row per Entra user."""

from __future__ import annotations

from collections.abc import Iterable

from shared.models import Ambiguity, AmbiguityStatus
from shared.store.account import StorageAccount
from shared.store.batch import upsert_batched
from shared.store.entities import get_model, query_models, to_entity
from shared.store.names import Table

__all__ = ["TableAmbiguityStore"]


class TableAmbiguityStore:
    def __init__(self, account: StorageAccount) -> None:
        self._table = account.table(Table.AMBIGUITIES)

    async def for_tenant(self, tenant_id: str) -> list[Ambiguity]:
        return await query_models(self._table, Ambiguity, "PartitionKey eq @pk", pk=tenant_id)

    async def get(self, tenant_id: str, user_id: str) -> Ambiguity | None:
        return await get_model(self._table, tenant_id, user_id, Ambiguity)

    async def list(self, status: AmbiguityStatus | None = None) -> list[Ambiguity]:
        if status is None:
            items = await query_models(self._table, Ambiguity)
        else:
            items = await query_models(self._table, Ambiguity, "status eq @s", s=status.value)
        return sorted(items, key=lambda a: (a.tenant_id, a.user_id))

    async def save_many(self, items: Iterable[Ambiguity]) -> int:
        return await upsert_batched(
            self._table, (to_entity(a.tenant_id, a.user_id, a, status=a.status.value) for a in items)
        )
