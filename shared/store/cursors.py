"""Per tenant: the cursor of its last pass (SyncState row `delta`) and the rows of its user snapshot
(`users-00000`, `users-00001`, …), in the tenant's partition so they are written together."""

from __future__ import annotations

import json
import zlib
from typing import Any

from azure.core.exceptions import ResourceNotFoundError

from shared.models import DeltaCursor
from shared.store.account import StorageAccount
from shared.store.batch import submit_batch
from shared.store.entities import BATCH_LIMIT, check_key
from shared.store.names import Table
from shared.sync.snapshot import UserSnapshot

__all__ = ["TableCursorStore"]

_DELTA = "delta"
_SNAPSHOT = "users-"  # RowKey prefix of the snapshot rows: users-00000, users-00001, ...
_SNAPSHOT_QUERY = "PartitionKey eq @pk and RowKey ge @lo and RowKey lt @hi"
_PART_BYTES = 60_000  # a binary property holds at most 64 KiB
_TRANSACTION_BYTES = 2_500_000  # a transaction holds at most 4 MiB, and binary travels as base64


class TableCursorStore:
    """Per tenant: the cursor of its last pass and the snapshot of its users (one partition, so the
    snapshot rows and the cursor that points past them are written together)."""

    def __init__(self, account: StorageAccount) -> None:
        self._table = account.table(Table.SYNC_STATE)

    async def get(self, tenant_id: str) -> DeltaCursor | None:
        try:
            row = await self._table.get_entity(check_key(tenant_id), _DELTA)
        except ResourceNotFoundError:
            return None
        if "json" not in row:
            return None  # an older row without a cursor: the next pass is a full one
        return DeltaCursor.model_validate_json(row["json"])

    async def snapshot_hashes(self, tenant_id: str) -> dict[int, str]:
        """What each stored snapshot row holds (its hash), without reading the rows themselves."""
        rows = self._table.query_entities(
            _SNAPSHOT_QUERY, parameters=_snapshot_range(tenant_id), select=["RowKey", "hash"]
        )
        return {_bucket_index(str(row["RowKey"])): str(row["hash"]) async for row in rows}

    async def load_snapshot(self, tenant_id: str, buckets: int) -> UserSnapshot:
        rows: dict[int, dict[str, dict[str, Any]]] = {}
        stored: dict[int, str] = {}
        async for row in self._table.query_entities(_SNAPSHOT_QUERY, parameters=_snapshot_range(tenant_id)):
            bucket = _bucket_index(str(row["RowKey"]))
            if bucket >= buckets:
                continue  # left from a time with more buckets
            data = b"".join(row[f"z{i}"] for i in range(int(row.get("parts", 0))))
            rows[bucket] = json.loads(zlib.decompress(data)) if data else {}
            stored[bucket] = str(row["hash"])
        return UserSnapshot(buckets, rows, stored)

    async def save(self, tenant_id: str, cursor: DeltaCursor, snapshot: UserSnapshot | None = None) -> int:
        """Write the snapshot rows that changed, then the cursor (in the last transaction, so the cursor
        never points past a snapshot that is not there). Returns the transactions made."""
        pk = check_key(tenant_id)
        rows: list[dict[str, Any]] = []
        if snapshot is not None:
            cursor = cursor.model_copy(update={"buckets": snapshot.buckets})
            for bucket, (digest, data) in snapshot.changed_rows().items():
                parts = [data[i : i + _PART_BYTES] for i in range(0, len(data), _PART_BYTES)] or [b""]
                row: dict[str, Any] = {"PartitionKey": pk, "RowKey": _bucket_key(bucket), "hash": digest}
                row |= {f"z{i}": part for i, part in enumerate(parts)} | {"parts": len(parts)}
                rows.append(row)
        state: dict[str, Any] = {
            "PartitionKey": pk,
            "RowKey": _DELTA,
            "deltaLink": cursor.delta_link or "",
            "json": cursor.model_dump_json(),
        }
        if cursor.last_full_pass is not None:
            state["lastFullPass"] = cursor.last_full_pass.isoformat()
        rows.append(state)
        chunks = _transactions(rows)
        for chunk in chunks:
            await submit_batch(self._table, [("upsert", row) for row in chunk])
        return len(chunks)


def _transactions(rows: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """Entity group transactions of at most 100 rows and about 2.5 MB of data each, in order."""
    chunks: list[list[dict[str, Any]]] = [[]]
    size = 0
    for row in rows:
        weight = sum(len(v) for v in row.values() if isinstance(v, bytes | str))
        if chunks[-1] and (len(chunks[-1]) >= BATCH_LIMIT or size + weight > _TRANSACTION_BYTES):
            chunks.append([])
            size = 0
        chunks[-1].append(row)
        size += weight
    return chunks


def _bucket_key(bucket: int) -> str:
    return f"{_SNAPSHOT}{bucket:05d}"


def _bucket_index(row_key: str) -> int:
    return int(row_key[len(_SNAPSHOT) :])


def _snapshot_range(tenant_id: str) -> dict[str, str]:
    return {"pk": check_key(tenant_id), "lo": _SNAPSHOT, "hi": _SNAPSHOT[:-1] + chr(ord(_SNAPSHOT[-1]) + 1)}
