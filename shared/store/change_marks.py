"""The marks that coalesce change notifications: SyncState row `notified` of the tenant's partition,
there while a tenant has changes no pass has started on yet. Created once per window (the creator
sends the delayed message that starts the pass), re-armed and cleared under the row's ETag."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from azure.core import MatchConditions
from azure.core.exceptions import ResourceExistsError, ResourceModifiedError, ResourceNotFoundError
from azure.data.tables import TableTransactionError, UpdateMode

from shared.models.subscriptions import ChangeMark
from shared.store.account import StorageAccount
from shared.store.entities import check_key
from shared.store.names import Table

__all__ = ["TableChangeMarks"]

_ROW = "notified"


class TableChangeMarks:
    def __init__(self, account: StorageAccount) -> None:
        self._table = account.table(Table.SYNC_STATE)

    async def get(self, tenant_id: str) -> ChangeMark | None:
        try:
            entity = await self._table.get_entity(check_key(tenant_id, "tenantId"), _ROW)
        except ResourceNotFoundError:
            return None
        return ChangeMark(
            tenant_id=tenant_id,
            first_at=datetime.fromisoformat(str(entity["firstAt"])),
            armed_at=datetime.fromisoformat(str(entity["armedAt"])),
            etag=str(entity.metadata["etag"]),
        )

    async def create(self, tenant_id: str, at: datetime) -> bool:
        """Mark the tenant; False when it is marked already (another notification made the mark)."""
        try:
            await self._table.create_entity(_entity(tenant_id, at, at))
        except ResourceExistsError:
            return False
        return True

    async def rearm(self, mark: ChangeMark, at: datetime) -> bool:
        """Record a new delayed message for the mark; False when the mark changed or went meanwhile."""
        return await self._guarded(mark, _entity(mark.tenant_id, mark.first_at, at))

    async def clear(self, mark: ChangeMark) -> bool:
        """Remove the mark as read; False when it changed or went meanwhile. (A transaction of one: a
        plain delete of a row already gone reports success, and two clearers must not both win.)"""
        keys = {"PartitionKey": check_key(mark.tenant_id, "tenantId"), "RowKey": _ROW}
        conditions = {"etag": mark.etag, "match_condition": MatchConditions.IfNotModified}
        try:
            await self._table.submit_transaction([("delete", keys, conditions)])
        except TableTransactionError:
            return False
        return True

    async def _guarded(self, mark: ChangeMark, entity: dict[str, Any]) -> bool:
        try:
            await self._table.update_entity(
                entity, mode=UpdateMode.REPLACE, etag=mark.etag, match_condition=MatchConditions.IfNotModified
            )
        except (ResourceModifiedError, ResourceNotFoundError):
            return False
        return True


def _entity(tenant_id: str, first_at: datetime, armed_at: datetime) -> dict[str, Any]:
    return {
        "PartitionKey": check_key(tenant_id, "tenantId"),
        "RowKey": _ROW,
        "firstAt": first_at.isoformat(),
        "armedAt": armed_at.isoformat(),
    }
