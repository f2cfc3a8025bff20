"""Signed webhook requests already accepted (table WebhookReceipts), so each is accepted once.

PartitionKey: the UTC day of the request's signed timestamp (`20250303`); RowKey: its replay key
(`shared.security.replay_key`). A row is only ever created: a create that finds the row is a replay.
A signature is good for 5 minutes, so a row from the day before yesterday proves nothing any more:
the first receipt of each day (per process) deletes those rows first. They are our own bookkeeping.
"""

from __future__ import annotations

import contextlib
from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any

from azure.core.exceptions import ResourceExistsError, ResourceNotFoundError
from azure.data.tables import TableTransactionError

from shared.store.account import StorageAccount
from shared.store.entities import BATCH_LIMIT, check_key
from shared.store.names import Table

__all__ = ["TableWebhookReceipts"]


def _day(at: datetime) -> str:
    return at.strftime("%Y%m%d")


class TableWebhookReceipts:
    def __init__(self, account: StorageAccount) -> None:
        self._table = account.table(Table.WEBHOOK_RECEIPTS)
        self._swept: str | None = None  # the day whose older rows this process has deleted

    async def first_time(self, key: str, at: datetime) -> bool:
        """Record the request `key` signed at `at`; False if it was recorded before (a replay)."""
        day = _day(at)
        if self._swept != day:
            # Before the create: a failure here fails the request with nothing recorded, so a retry works.
            await self._sweep(older_than=_day(at - timedelta(days=1)))
            self._swept = day
        entity = {"PartitionKey": day, "RowKey": check_key(key, "receipt"), "signedAt": at.isoformat()}
        try:
            await self._table.create_entity(entity)
        except ResourceExistsError:
            return False
        return True

    async def forget(self, key: str, at: datetime) -> None:
        """Drop a receipt whose request then failed, so the sender's retry is not taken for a replay."""
        with contextlib.suppress(ResourceNotFoundError):
            await self._table.delete_entity(_day(at), check_key(key, "receipt"))

    async def _sweep(self, older_than: str) -> None:
        rows = self._table.query_entities(
            "PartitionKey lt @day", parameters={"day": older_than}, select=["PartitionKey", "RowKey"]
        )
        by_day: dict[str, list[str]] = defaultdict(list)
        async for row in rows:
            by_day[row["PartitionKey"]].append(row["RowKey"])
        for day, keys in by_day.items():
            for start in range(0, len(keys), BATCH_LIMIT):
                await self._delete(day, keys[start : start + BATCH_LIMIT])

    async def _delete(self, day: str, keys: list[str]) -> None:
        operations: list[tuple[Any, ...]] = [("delete", {"PartitionKey": day, "RowKey": key}) for key in keys]
        try:
            await self._table.submit_transaction(operations)
        except TableTransactionError:
            # Another instance swept some of these first: delete what is left one by one.
            for key in keys:
                with contextlib.suppress(ResourceNotFoundError):
                    await self._table.delete_entity(day, key)
