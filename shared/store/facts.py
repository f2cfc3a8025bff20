"""Microsoft 365 facts kept over time: a client's Secure Score, one row per day."""

from __future__ import annotations

from shared.models.secure_score import ScorePoint
from shared.store.account import StorageAccount
from shared.store.entities import check_key, query_models, to_entity
from shared.store.names import Table

__all__ = ["TableSecureScoreStore"]


class TableSecureScoreStore:
    """Partition per client, row per day (the day Microsoft computed the score): a re-run the same day
    overwrites that day's point, so the history never grows by run."""

    def __init__(self, account: StorageAccount) -> None:
        self._table = account.table(Table.SECURE_SCORES)

    async def record(self, client_id: str, point: ScorePoint) -> None:
        await self._table.upsert_entity(to_entity(check_key(client_id), point.date.isoformat(), point))

    async def history(self, client_id: str) -> list[ScorePoint]:
        points = await query_models(self._table, ScorePoint, "PartitionKey eq @pk", pk=check_key(client_id))
        return sorted(points, key=lambda p: p.date)
