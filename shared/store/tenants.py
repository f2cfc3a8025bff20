"""Discovered customer tenants (partition `tenant`); their mappings are `shared.store.mappings`."""

from __future__ import annotations

from collections.abc import Iterable

from shared.models import Tenant
from shared.store.account import StorageAccount
from shared.store.batch import upsert_batched
from shared.store.entities import get_model, query_models, to_entity
from shared.store.names import Table

__all__ = ["TableTenantStore"]

_TENANT_PK = "tenant"


class TableTenantStore:
    def __init__(self, account: StorageAccount) -> None:
        self._table = account.table(Table.TENANTS)

    async def get(self, tenant_id: str) -> Tenant | None:
        return await get_model(self._table, _TENANT_PK, tenant_id, Tenant)

    async def list(self) -> list[Tenant]:
        tenants = await query_models(self._table, Tenant, "PartitionKey eq @pk", pk=_TENANT_PK)
        return sorted(tenants, key=lambda t: t.tenant_id)

    async def save_many(self, tenants: Iterable[Tenant]) -> None:
        await upsert_batched(self._table, (to_entity(_TENANT_PK, t.tenant_id, t) for t in tenants))
