"""Sync settings: one global row, and one row of overrides per tenant."""

from __future__ import annotations

from collections.abc import Callable

from shared.models import RunRecord, SyncSettings, TenantOverrides
from shared.store.account import StorageAccount
from shared.store.entities import from_entity, get_model, read_modify_write, to_entity
from shared.store.names import Table

__all__ = ["TableSyncSettingsStore"]

_GLOBAL = "global"
_ROW = "settings"


class TableSyncSettingsStore:
    def __init__(self, account: StorageAccount) -> None:
        self._table = account.table(Table.SETTINGS)

    async def global_settings(self) -> SyncSettings:
        return await get_model(self._table, _GLOBAL, _ROW, SyncSettings) or SyncSettings()

    async def update_global(self, change: Callable[[SyncSettings], SyncSettings]) -> SyncSettings:
        """Change the global settings under the row's ETag: two operators' edits never overwrite each other."""
        stored = await read_modify_write(
            self._table, _GLOBAL, _ROW, SyncSettings, lambda s: change(s or SyncSettings())
        )
        return stored or SyncSettings()

    async def update_overrides(
        self, tenant_id: str, change: Callable[[TenantOverrides], TenantOverrides]
    ) -> TenantOverrides:
        stored = await read_modify_write(
            self._table, tenant_id, _ROW, TenantOverrides, lambda o: change(o or TenantOverrides())
        )
        return stored or TenantOverrides()

    async def save_global(self, settings: SyncSettings) -> None:
        await self._table.upsert_entity(to_entity(_GLOBAL, _ROW, settings))

    async def overrides(self, tenant_id: str) -> TenantOverrides:
        return await get_model(self._table, tenant_id, _ROW, TenantOverrides) or TenantOverrides()

    async def save_overrides(self, tenant_id: str, overrides: TenantOverrides) -> None:
        await self._table.upsert_entity(to_entity(tenant_id, _ROW, overrides))

    async def all_overrides(self) -> dict[str, TenantOverrides]:
        rows = self._table.query_entities(
            "RowKey eq @row and PartitionKey ne @global", parameters={"row": _ROW, "global": _GLOBAL}
        )
        return {str(row["PartitionKey"]): from_entity(row, TenantOverrides) async for row in rows}

    async def effective(self, tenant_id: str, *, run: RunRecord | None = None) -> SyncSettings:
        return (await self.overrides(tenant_id)).merged_over(await self.global_settings())
