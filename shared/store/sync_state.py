"""Per-tenant sync state: the lease that keeps one worker per tenant, the cursor of the last pass
(delta link, last full pass) with a snapshot of the tenant's users for delta passes, and the brake."""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import zlib
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from azure.core import MatchConditions
from azure.core.exceptions import ResourceExistsError, ResourceModifiedError, ResourceNotFoundError
from azure.data.tables import UpdateMode
from pydantic import BaseModel, Field

from shared.models import EntraUser
from shared.store.account import StorageAccount
from shared.store.batch import submit_batch
from shared.store.entities import BATCH_LIMIT, check_key
from shared.store.names import Table

__all__ = [
    "DeltaCursor",
    "TableBrakeStore",
    "TableCursorStore",
    "TableLeaseStore",
    "UserSnapshot",
    "bucket_of",
    "buckets_for",
    "snapshot_values",
]

_LEASE = "lease"
_DELTA = "delta"
_SNAPSHOT = "users-"  # RowKey prefix of the snapshot rows: users-00000, users-00001, ...
_SNAPSHOT_QUERY = "PartitionKey eq @pk and RowKey ge @lo and RowKey lt @hi"
_USERS_PER_BUCKET = 400  # about 40 KB compressed per row
_PART_BYTES = 60_000  # a binary property holds at most 64 KiB
_TRANSACTION_BYTES = 2_500_000  # a transaction holds at most 4 MiB, and binary travels as base64
_NOT_SNAPSHOT = {"sign_in_activity", "removed"}


class TableLeaseStore:
    """An expiring lease per tenant, taken and released under the row's ETag."""

    def __init__(self, account: StorageAccount) -> None:
        self._table = account.table(Table.SYNC_STATE)

    async def acquire(self, tenant_id: str, owner: str, now: datetime, ttl: timedelta) -> bool:
        entity = {
            "PartitionKey": check_key(tenant_id),
            "RowKey": _LEASE,
            "owner": owner,
            "expiresAt": (now + ttl).isoformat(),
        }
        try:
            await self._table.create_entity(entity)
            return True
        except ResourceExistsError:
            pass
        try:
            current = await self._table.get_entity(tenant_id, _LEASE)
        except ResourceNotFoundError:
            return await self.acquire(tenant_id, owner, now, ttl)
        expired = datetime.fromisoformat(str(current["expiresAt"])) <= now
        if current["owner"] != owner and not expired:
            return False
        try:
            await self._table.update_entity(
                entity,
                mode=UpdateMode.REPLACE,
                etag=current.metadata["etag"],
                match_condition=MatchConditions.IfNotModified,
            )
            return True
        except (ResourceModifiedError, ResourceNotFoundError):
            return False  # another worker took it between our read and write

    async def release(self, tenant_id: str, owner: str) -> None:
        try:
            current = await self._table.get_entity(check_key(tenant_id), _LEASE)
        except ResourceNotFoundError:
            return
        if current["owner"] != owner:
            return
        # Taken over after it expired? Then it is not ours any more and stays.
        with contextlib.suppress(ResourceModifiedError, ResourceNotFoundError):
            await self._table.delete_entity(
                tenant_id, _LEASE, etag=current.metadata["etag"], match_condition=MatchConditions.IfNotModified
            )


class DeltaCursor(BaseModel):
    """What a tenant's last pass left for the next one (SyncState row `delta`).

    `delta_link`: where the next delta pass starts. `last_full_pass`: when the last full pass ran (the
    daily one is due FULL_SYNC_INTERVAL_HOURS later). `client_id` and `settings_hash`: the mapping and
    the effective settings that pass ran with; when either changed, the next pass is a full one.
    `entra_p1` / `p1_checked_at`: whether the tenant had Entra ID P1 (sign-in activity, MFA report),
    so a tenant without it is not asked again on every full pass. `sku_part_numbers`: licence names
    for delta passes, which do not read subscribedSkus. `retry`: users to plan again on the next delta
    pass although Graph reports no change (the PSA refused them). `held`: the safety brake held the
    pass's inactivations. `buckets`: how many rows hold the user snapshot.
    """

    delta_link: str | None = None
    last_full_pass: datetime | None = None
    client_id: str | None = None
    settings_hash: str | None = None
    entra_p1: bool | None = None
    p1_checked_at: datetime | None = None
    sku_part_numbers: dict[str, str] = Field(default_factory=dict)
    retry: list[str] = Field(default_factory=list)
    held: bool = False
    buckets: int = 0


def snapshot_values(user: EntraUser) -> dict[str, Any]:
    """A user's values as the snapshot keeps them: Graph's wire names, default values left out, no
    sign-in activity (delta passes never read it) and no `@removed`."""
    return user.model_dump(mode="json", by_alias=True, exclude=_NOT_SNAPSHOT, exclude_defaults=True)


class UserSnapshot:
    """Every user's last-seen values, bucketed by user id into a few rows of the tenant's partition.

    A delta object may carry only some properties; merged onto the user's snapshot it gives the whole
    user. Rows are written only when their content changed (a hash per row).
    """

    def __init__(
        self,
        buckets: int,
        rows: dict[int, dict[str, dict[str, Any]]] | None = None,
        stored: dict[int, str] | None = None,
    ) -> None:
        self.buckets = max(1, buckets)
        self._rows = rows or {}
        self._stored = stored or {}  # bucket -> hash of what the table holds
        self._touched: set[int] = set()

    @classmethod
    def of(cls, users: Iterable[EntraUser], stored: dict[int, str], buckets: int | None = None) -> UserSnapshot:
        """The snapshot of a full list of users; rows equal to what is `stored` are not rewritten."""
        listed = list(users)
        snapshot = cls(buckets or buckets_for(len(listed)), stored=stored)
        snapshot._touched = set(range(snapshot.buckets))
        for user in listed:
            snapshot.put(user)
        return snapshot

    def __len__(self) -> int:
        return sum(len(row) for row in self._rows.values())

    def get(self, user_id: str) -> dict[str, Any] | None:
        return self._rows.get(bucket_of(user_id, self.buckets), {}).get(user_id)

    def put(self, user: EntraUser) -> None:
        bucket = bucket_of(user.id, self.buckets)
        self._rows.setdefault(bucket, {})[user.id] = snapshot_values(user)
        self._touched.add(bucket)

    def changed_rows(self) -> dict[int, tuple[str, bytes]]:
        """Rows to write: bucket -> (hash, compressed JSON), for touched rows whose content changed."""
        out: dict[int, tuple[str, bytes]] = {}
        for bucket in sorted(self._touched):
            raw = json.dumps(self._rows.get(bucket, {}), sort_keys=True, separators=(",", ":")).encode()
            digest = hashlib.sha256(raw).hexdigest()[:32]
            if self._stored.get(bucket) != digest:
                out[bucket] = (digest, zlib.compress(raw, 6))
        return out


def buckets_for(users: int) -> int:
    return max(1, math.ceil(users / _USERS_PER_BUCKET))


def bucket_of(user_id: str, buckets: int) -> int:
    return zlib.crc32(user_id.encode()) % buckets


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


class TableBrakeStore:
    """Whether a tenant's inactivations are held by the safety brake (R5.5), and since which run."""

    def __init__(self, account: StorageAccount) -> None:
        self._table = account.table(Table.SYNC_STATE)

    async def held_by(self, tenant_id: str) -> str | None:
        try:
            row = await self._table.get_entity(check_key(tenant_id), "brake")
        except ResourceNotFoundError:
            return None
        return str(row["runId"]) if row.get("held") else None

    async def set(self, tenant_id: str, run_id: str, held: bool) -> None:
        await self._table.upsert_entity(
            {"PartitionKey": check_key(tenant_id), "RowKey": "brake", "runId": run_id, "held": held}
        )
