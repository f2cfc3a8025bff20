"""A run's totals in shares: rows `~totals-00` … `~totals-15` of its RunTenants partition.

A tenant is counted into the share its id hashes to, in one transaction with its final row under both
rows' ETags (`TableRunStore.count_tenant`); each share knows how many tenants it expects, and the run's
totals are the sum of its shares (one query). Why shares: with one totals row, every worker finishing
a tenant raced for it, and about every other count lost and read both rows again (measured at 200
tenants x 50 users, 12 tenants at once: 0.9 retries a tenant, some 3 storage transactions). With 16
shares two counts rarely meet on one row. The worker whose count completes its share reads all shares:
when all are complete and its share is the one written last (the server's Timestamp, then the RowKey),
it completes the run. The share written last is read complete by its own writer (its write precedes
its read), so some worker always completes the run, and only that one tries (a worker dying first
leaves it to `settle_run`).

A run created before shares has one row `~totals` (or none); its tenants are counted there as before.
"""

from __future__ import annotations

import zlib
from collections import Counter
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from azure.data.tables.aio import TableClient

from shared.models.runs import RunTotals
from shared.store.entities import check_key, from_entity, to_entity

__all__ = ["LEGACY", "SHARES", "share_key", "share_rows", "summed_totals", "totals_and_last"]

SHARES = 16
LEGACY = "~totals"  # '~' sorts after every tenant id: the tenant rows are the RowKeys below it
_RANGE = "PartitionKey eq @pk and RowKey ge @lo and RowKey lt @hi"
_BOUNDS = {"lo": LEGACY, "hi": LEGACY + "."}  # '.' sorts right after '-': the legacy row and the shares


def share_key(tenant_id: str) -> str:
    """The RowKey of the share a tenant is counted into (stable across processes: crc32, not hash())."""
    return f"{LEGACY}-{zlib.crc32(tenant_id.encode()) % SHARES:02d}"


def share_rows(run_id: str, tenant_ids: Iterable[str]) -> list[dict[str, Any]]:
    """The run's share rows, each expecting the tenants that hash to it (no row for a share of none)."""
    expected = Counter(share_key(tenant_id) for tenant_id in tenant_ids)
    return [to_entity(run_id, key, RunTotals(tenants_expected=n)) for key, n in sorted(expected.items())]


async def summed_totals(table: TableClient, run_id: str) -> RunTotals | None:
    """The run's totals, the sum of its shares (or its one legacy row); None when it has none."""
    return (await totals_and_last(table, run_id))[0]


async def totals_and_last(table: TableClient, run_id: str) -> tuple[RunTotals | None, str | None]:
    """The run's totals and the RowKey of the share written last."""
    select = ["RowKey", "Timestamp", "json"]
    rows = table.query_entities(_RANGE, parameters={"pk": check_key(run_id), **_BOUNDS}, select=select)
    total: RunTotals | None = None
    last: tuple[datetime, str] | None = None
    async for row in rows:
        share = from_entity(row, RunTotals)
        total = share if total is None else total.and_share(share)
        written = (row.metadata.get("timestamp") or datetime.min.replace(tzinfo=UTC), str(row["RowKey"]))
        last = written if last is None or written > last else last
    return total, last[1] if last is not None else None
