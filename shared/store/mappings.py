"""Tenant -> client mappings (R1), and the claim row per client that keeps one tenant per client (R1.7)."""

from __future__ import annotations

from collections.abc import Iterable

from azure.core import MatchConditions
from azure.core.exceptions import ResourceExistsError, ResourceNotFoundError

from shared.models import Mapping
from shared.store.account import StorageAccount
from shared.store.batch import upsert_batched
from shared.store.entities import check_key, get_model, query_models, to_entity
from shared.store.names import Table

__all__ = ["TableMappingStore"]

_MAPPING_PK = "mapping"
_CLAIM_PK = "client-claim"  # one row per mapped client: makes "one tenant per client" atomic (R1.7)


class TableMappingStore:
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

    async def claim_client(self, client_id: str, tenant_id: str) -> str | None:
        """Claim `client_id` for `tenant_id`; returns the tenant that holds it when another one does."""
        entity = {"PartitionKey": _CLAIM_PK, "RowKey": check_key(client_id, "clientId"), "tenantId": tenant_id}
        try:
            await self._table.create_entity(entity)
            return None
        except ResourceExistsError:
            holder = await self._table.get_entity(_CLAIM_PK, client_id)
            return None if holder["tenantId"] == tenant_id else str(holder["tenantId"])

    async def release_client(self, client_id: str, tenant_id: str) -> None:
        try:
            holder = await self._table.get_entity(_CLAIM_PK, check_key(client_id, "clientId"))
        except ResourceNotFoundError:
            return
        if holder["tenantId"] == tenant_id:
            await self._table.delete_entity(
                _CLAIM_PK, client_id, etag=holder.metadata["etag"], match_condition=MatchConditions.IfNotModified
            )
