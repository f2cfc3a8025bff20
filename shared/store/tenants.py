"""Discovered customer tenants and their tenant -> client mappings."""

from __future__ import annotations

from collections.abc import Iterable

from shared.models import Mapping, Tenant
from shared.store.account import StorageAccount
from shared.store.entities import get_model, query_models, to_entity, upsert_batched
from shared.store.names import Table

__all__ = ["MappingRepo", "TenantRepo"]

_TENANT_PK = "tenant"
_MAPPING_PK = "mapping"


class TenantRepo:
    def __init__(self, account: StorageAccount) -> None:
        self._table = account.table(Table.TENANTS)

    async def get(self, tenant_id: str) -> Tenant | None:
        return await get_model(self._table, _TENANT_PK, tenant_id, Tenant)

    async def list(self) -> list[Tenant]:
        tenants = await query_models(self._table, Tenant, "PartitionKey eq @pk", pk=_TENANT_PK)
        return sorted(tenants, key=lambda t: t.tenant_id)

    async def save_many(self, tenants: Iterable[Tenant]) -> None:
        await upsert_batched(self._table, (to_entity(_TENANT_PK, t.tenant_id, t) for t in tenants))


class MappingRepo:
    def __init__(self, account: StorageAccount) -> None:
        self._table = account.table(Table.MAPPINGS)

    async def get(self, tenant_id: str) -> Mapping | None:
        return await get_model(self._table, _MAPPING_PK, tenant_id, Mapping)

    async def list(self) -> list[Mapping]:
        mappings = await query_models(self._table, Mapping, "PartitionKey eq @pk", pk=_MAPPING_PK)
        return sorted(mappings, key=lambda m: m.tenant_id)

    async def save(self, mapping: Mapping) -> None:
        await self._table.upsert_entity(to_entity(_MAPPING_PK, mapping.tenant_id, mapping, status=mapping.status.value))

    async def save_many(self, mappings: Iterable[Mapping]) -> None:
        await upsert_batched(
            self._table, (to_entity(_MAPPING_PK, m.tenant_id, m, status=m.status.value) for m in mappings)
        )
