"""The unused-licence report as of each tenant's last full pass: partition per tenant, row per SKU."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from azure.core.exceptions import HttpResponseError
from azure.data.tables import TableTransactionError, UpdateMode

from shared.errors import StorageError
from shared.models.licenses import SkuUsage
from shared.store.account import StorageAccount
from shared.store.entities import BATCH_LIMIT, check_key, query_models, to_entity
from shared.store.names import Table

__all__ = ["TableLicenseUsageStore"]


class TableLicenseUsageStore:
    def __init__(self, account: StorageAccount) -> None:
        self._table = account.table(Table.LICENSES)

    async def replace(self, tenant_id: str, rows: Sequence[SkuUsage]) -> None:
        """The tenant's rows become `rows`: each upserted, and the rows of SKUs the tenant no longer has
        removed, in the same transaction (one per 100 operations; a tenant has a handful of SKUs)."""
        pk = check_key(tenant_id, "tenantId")
        keep = {row.sku_id for row in rows}
        existing = self._table.query_entities("PartitionKey eq @pk", parameters={"pk": pk}, select=["RowKey"])
        gone = [entity["RowKey"] async for entity in existing if entity["RowKey"] not in keep]
        operations: list[tuple[Any, ...]] = [
            ("upsert", to_entity(pk, row.sku_id, row), {"mode": UpdateMode.REPLACE}) for row in rows
        ]
        operations += [("delete", {"PartitionKey": pk, "RowKey": row_key}) for row_key in gone]
        for start in range(0, len(operations), BATCH_LIMIT):
            try:
                await self._table.submit_transaction(operations[start : start + BATCH_LIMIT])
            except (TableTransactionError, HttpResponseError) as exc:
                raise StorageError(f"licence report of tenant {tenant_id} not written: {exc.message}") from exc

    async def list(self, tenant_id: str | None = None) -> list[SkuUsage]:
        """Every tenant's rows, or one tenant's."""
        if tenant_id is None:
            return await query_models(self._table, SkuUsage)
        return await query_models(self._table, SkuUsage, "PartitionKey eq @pk", pk=check_key(tenant_id, "tenantId"))
