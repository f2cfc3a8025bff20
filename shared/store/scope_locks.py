"""Which run holds each scope (R7.5): SyncState rows of partition `scope`, one per "all" or "tenant:<id>"."""

from __future__ import annotations

from azure.core import MatchConditions
from azure.core.exceptions import ResourceExistsError, ResourceModifiedError, ResourceNotFoundError
from azure.data.tables import UpdateMode

from shared.store.account import StorageAccount
from shared.store.entities import check_key
from shared.store.names import Table

__all__ = ["TableScopeLocks"]


class TableScopeLocks:
    """Which run holds each scope ("all" or "tenant:<id>"), so a second start joins it (R7.5)."""

    def __init__(self, account: StorageAccount) -> None:
        self._table = account.table(Table.SYNC_STATE)

    async def holder(self, scope: str) -> tuple[str, str] | None:
        """(run id, etag) of the scope's row, or None."""
        try:
            entity = await self._table.get_entity("scope", check_key(scope))
        except ResourceNotFoundError:
            return None
        return str(entity["runId"]), str(entity.metadata["etag"])

    async def take(self, scope: str, run_id: str, etag: str | None) -> bool:
        """Take the scope for `run_id`: create the row, or replace it if it still has `etag`."""
        entity = {"PartitionKey": "scope", "RowKey": check_key(scope), "runId": run_id}
        try:
            if etag is None:
                await self._table.create_entity(entity)
            else:
                await self._table.update_entity(
                    entity, mode=UpdateMode.REPLACE, etag=etag, match_condition=MatchConditions.IfNotModified
                )
            return True
        except (ResourceExistsError, ResourceModifiedError):
            return False
