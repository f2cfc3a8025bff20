"""The PSA request budget every instance shares (`RequestBudget`): SyncState partition `psa-pacing`,
one row per vendor account (its RowKey a hash of the account, which holds URLs and user names), the
schedule's `tat` changed only under the ETag it was read at."""

from __future__ import annotations

import hashlib
from typing import Any

from azure.core import MatchConditions
from azure.core.exceptions import AzureError, ResourceExistsError, ResourceModifiedError, ResourceNotFoundError
from azure.data.tables import UpdateMode

from shared.errors import StorageError
from shared.models import BudgetMark
from shared.store.account import StorageAccount
from shared.store.names import Table

__all__ = ["TableRequestBudget"]

_PARTITION = "psa-pacing"


class TableRequestBudget:
    """`calls`: the storage requests it made (the bench reports them per PSA request)."""

    def __init__(self, account: StorageAccount) -> None:
        self._table = account.table(Table.SYNC_STATE)
        self.calls = 0

    async def read(self, account: str) -> BudgetMark:
        self.calls += 1
        try:
            entity = await self._table.get_entity(_PARTITION, _row(account))
        except ResourceNotFoundError:
            return BudgetMark()
        except AzureError as exc:
            raise StorageError(f"the shared request budget could not be read: {exc}") from exc
        return BudgetMark(tat=float(entity["tat"]), etag=str(entity.metadata["etag"]))

    async def swap(self, account: str, seen: BudgetMark, tat: float) -> BudgetMark | None:
        self.calls += 1
        entity: dict[str, Any] = {"PartitionKey": _PARTITION, "RowKey": _row(account), "tat": tat, "account": account}
        try:
            if seen.etag is None:
                written = await self._table.create_entity(entity)
            else:
                written = await self._table.update_entity(
                    entity, mode=UpdateMode.REPLACE, etag=seen.etag, match_condition=MatchConditions.IfNotModified
                )
        except (ResourceExistsError, ResourceModifiedError, ResourceNotFoundError):
            return None  # another instance wrote (or a row appeared) since `seen`: read again
        except AzureError as exc:
            raise StorageError(f"the shared request budget could not be written: {exc}") from exc
        return BudgetMark(tat=tat, etag=str(written["etag"]))


def _row(account: str) -> str:
    return hashlib.sha256(account.encode()).hexdigest()[:40]
