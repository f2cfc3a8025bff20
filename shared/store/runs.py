"""Runs, each tenant's result in a run with the run's totals beside them, every user's outcome, and
what each tenant's tries did (chunked: a row holds at most 64 KiB). The scope a live run holds is
`shared.store.scope_locks`.

RunTenants, partition runId: a row per tenant and the run's totals in shares (`RunTotals`,
`shared.store.run_totals`). A tenant is counted by one entity group transaction that writes its final
row and its share of the totals under both rows' ETags, so it is counted exactly once and the totals
always equal the sum of the final rows; completing a tenant costs the same few transactions whatever
the run's size (a query for both rows, the transaction). The Runs row is written when the run starts and when
it completes; while it runs, reads show it with its totals.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import random
from collections.abc import Callable
from typing import Any

from azure.core.exceptions import ResourceNotFoundError
from azure.data.tables.aio import TableClient

from shared.errors import NotFound, StorageError
from shared.models import RunRecord, TenantResult, TenantStatus, UserOutcome
from shared.models.runs import AttemptUser, RunTotals
from shared.store.account import StorageAccount
from shared.store.batch import BatchFailed, Operation, submit_batch, upsert_batched
from shared.store.entities import check_key, from_entity, read_modify_write, to_entity
from shared.store.names import Table
from shared.store.run_totals import LEGACY, share_key, share_rows, summed_totals, totals_and_last

__all__ = ["TableRunStore"]

log = logging.getLogger(__name__)

_RUN_PK = "run"
_TOTALS = LEGACY  # a run's one totals row before shares ('~' is in no tenant id: tenant rows sort below it)
_BOTH = "PartitionKey eq @pk and ( RowKey eq @rk or RowKey eq @share )"
_TRIES = "~tries"  # RunUsers partition `<runId>~tries` keeps the tries' intents (shared.sync.attempts)
_USERS_PER_ROW = 200
_ROW_CHARS = 30_000  # UTF-16 units: a string property holds at most 64 KiB
_RETRIES = 20
_FINAL = (TenantStatus.SUCCEEDED, TenantStatus.FAILED, TenantStatus.HELD)
_MODIFIED = ("UpdateConditionNotSatisfied", "EntityAlreadyExists")
_STARTED_KEPT = 64  # runs whose start this process keeps (a worker works on one or two runs at a time)


class TableRunStore:
    def __init__(self, account: StorageAccount) -> None:
        self._runs = account.table(Table.RUNS)
        self._tenants = account.table(Table.RUN_TENANTS)
        self._users = account.table(Table.RUN_USERS)
        # A run's type and options never change after it starts: a worker reads them once per process,
        # not once per tenant (one storage transaction a tenant, at 2,000 tenants a run).
        self._started: dict[str, RunRecord] = {}

    async def create(self, run: RunRecord, tenants: list[TenantResult]) -> None:
        shares = share_rows(run.run_id, (t.tenant_id for t in tenants))
        await upsert_batched(self._tenants, [*(_tenant_entity(run.run_id, t) for t in tenants), *shares])
        await self._runs.create_entity(_run_entity(run))

    async def get(self, run_id: str, *, live: bool = True) -> RunRecord | None:
        if not live and run_id in self._started:
            return self._started[run_id].model_copy()
        try:
            entity = await self._runs.get_entity(_RUN_PK, check_key(run_id, "runId"))
        except ResourceNotFoundError:
            return None
        run = from_entity(entity, RunRecord)
        if live:
            return await self._live(run)
        if len(self._started) >= _STARTED_KEPT:
            self._started.pop(next(iter(self._started)))  # the oldest kept
        self._started[run_id] = run
        return run.model_copy()

    async def require(self, run_id: str) -> RunRecord:
        run = await self.get(run_id)
        if run is None:
            raise NotFound(f"run {run_id} not found")
        return run

    async def page(self, limit: int, after: str | None = None) -> list[RunRecord]:
        """Newest first (run ids sort that way); `after` is the last run id of the previous page."""
        query = "PartitionKey eq @pk and RowKey gt @after" if after else "PartitionKey eq @pk"
        params: dict[str, Any] = {"pk": _RUN_PK, "after": after or ""}
        runs: list[RunRecord] = []
        async for entity in self._runs.query_entities(
            query, parameters=params, select=["json"], results_per_page=limit
        ):
            runs.append(from_entity(entity, RunRecord))
            if len(runs) >= limit:
                break
        return [await self._live(run) for run in runs]

    async def active(self) -> list[RunRecord]:
        # The SDK substitutes @names between spaces: no parenthesis may touch one.
        query = "PartitionKey eq @pk and ( status eq @queued or status eq @running )"
        params = {"pk": _RUN_PK, "queued": "queued", "running": "running"}
        runs = [from_entity(e, RunRecord) async for e in self._runs.query_entities(query, parameters=params)]
        return [await self._live(run) for run in runs]

    async def _live(self, run: RunRecord) -> RunRecord:
        """A run still going, shown with its totals (its own row is written again only when it completes)."""
        if not run.active:
            return run
        totals = await self.totals(run.run_id)
        return totals.shown_on(run) if totals is not None else run

    async def tenant_results(self, run_id: str) -> list[TenantResult]:
        rows = self._tenants.query_entities(
            "PartitionKey eq @pk and RowKey lt @totals", parameters={"pk": check_key(run_id), "totals": _TOTALS}
        )
        return sorted([from_entity(e, TenantResult) async for e in rows], key=lambda t: t.tenant_id)

    async def tenant_result(self, run_id: str, tenant_id: str) -> TenantResult | None:
        try:
            return from_entity(await self._tenants.get_entity(check_key(run_id), check_key(tenant_id)), TenantResult)
        except ResourceNotFoundError:
            return None

    async def update_tenant(
        self, run_id: str, tenant_id: str, change: Callable[[TenantResult], TenantResult | None]
    ) -> TenantResult | None:
        def guarded(current: TenantResult | None) -> TenantResult | None:
            return change(current) if current is not None else None  # never creates a row

        def row(result: TenantResult) -> dict[str, Any]:
            return _tenant_entity(run_id, result)

        return await read_modify_write(self._tenants, run_id, tenant_id, TenantResult, guarded, row=row)

    async def count_tenant(
        self, run_id: str, result: TenantResult, *, user_rows: int | None = None
    ) -> tuple[RunTotals, bool]:
        """The totals returned are done for the one count that completes the run (its share written last,
        `shared.store.run_totals`); a tenant counted already gets the run's totals; any other count
        gets its share's totals as it found them (never done)."""
        pk, rk, share = check_key(run_id), check_key(result.tenant_id), share_key(result.tenant_id)
        for attempt in range(_RETRIES):
            if attempt:
                await asyncio.sleep(random.uniform(0, 0.01 * attempt))  # workers counting at once: spread out
            params = {"pk": pk, "rk": rk, "share": share}
            rows = {str(e["RowKey"]): e async for e in self._tenants.query_entities(_BOTH, parameters=params)}
            row = rows.get(rk)
            if row is None:
                raise NotFound(f"run {run_id} has no tenant {result.tenant_id}")
            stored = from_entity(row, TenantResult)
            if stored.status in _FINAL:
                return (await self.totals(run_id)) or RunTotals(), False
            final = result.model_copy(update={"users": [], "attempts": max(stored.attempts, result.attempts)})
            share_row = rows.get(share)
            etag: str | None
            if share_row is not None:
                totals, key, etag = from_entity(share_row, RunTotals), share, str(share_row.metadata["etag"])
            else:  # a run started before shares: its one totals row
                (totals, etag), key = await self._totals_row(run_id), _TOTALS
            counted = totals.plus(final, final.completed_at)
            totals_op: Operation = (
                ("update", to_entity(run_id, key, counted), etag)
                if etag is not None
                else ("create", to_entity(run_id, key, counted))
            )
            try:
                final_row = _tenant_entity(run_id, final, user_rows=user_rows)
                await submit_batch(self._tenants, [("update", final_row, str(row.metadata["etag"])), totals_op])
            except BatchFailed as exc:
                if exc.code in _MODIFIED or exc.status == 412:
                    continue  # another worker counted a tenant (or this one) in between: read again
                raise
            if key != share:
                return counted, True  # the legacy row: the run's totals themselves
            if counted.done:  # the share is complete: is the run, with this share written last?
                run_totals, last = await totals_and_last(self._tenants, run_id)
                if run_totals is not None and run_totals.done and last == share:
                    return run_totals, True
            return totals, True
        raise StorageError(f"run {run_id}: its totals kept changing; gave up after {_RETRIES} tries")

    async def totals(self, run_id: str) -> RunTotals | None:
        return await summed_totals(self._tenants, run_id)

    async def _totals_row(self, run_id: str) -> tuple[RunTotals, str | None]:
        """The totals and their ETag; for a run started before totals were kept, the sum of its final
        rows so far (and no ETag: the count creates the row)."""
        try:
            entity = await self._tenants.get_entity(run_id, _TOTALS)
            return from_entity(entity, RunTotals), str(entity.metadata["etag"])
        except ResourceNotFoundError:
            pass
        run = await self.get(run_id)
        totals = RunTotals(tenants_expected=run.tenants_expected if run else 0)
        for tenant in await self.tenant_results(run_id):
            if tenant.status in _FINAL:
                totals = totals.plus(tenant, tenant.completed_at)
        return totals, None

    async def save_user_outcomes(self, run_id: str, tenant_id: str, users: list[UserOutcome]) -> int:
        # Rows beyond these (a longer earlier try's) are left: the final row names how many count, and
        # looking for them cost a query a tenant.
        items = [u.model_dump_json() for u in users]
        return await _save_chunks(self._users, check_key(run_id), tenant_id, items, drop_stale=False)

    async def user_outcomes(self, run_id: str, tenant_id: str | None = None) -> dict[str, list[UserOutcome]]:
        counted = await self._user_rows(run_id, tenant_id)
        query = "PartitionKey eq @pk"
        params = {"pk": check_key(run_id)}
        if tenant_id:
            query += " and RowKey ge @lo and RowKey lt @hi"
            params |= {"lo": f"{tenant_id}_", "hi": f"{tenant_id}`"}  # '`' sorts right after '_'
        out: dict[str, list[UserOutcome]] = {}
        async for entity in self._users.query_entities(query, parameters=params):
            tid, chunk = str(entity["RowKey"]).rsplit("_", 1)
            if tid not in counted or (counted[tid] is not None and int(chunk) >= (counted[tid] or 0)):
                continue  # not final, or a row an earlier, longer try left
            out.setdefault(tid, []).extend(UserOutcome.model_validate(u) for u in json.loads(entity["users"]))
        return out

    async def _user_rows(self, run_id: str, tenant_id: str | None) -> dict[str, int | None]:
        """The run's final tenants and how many user rows each final row names (None: all of them)."""
        query = "PartitionKey eq @pk and RowKey lt @totals"
        params: dict[str, Any] = {"pk": check_key(run_id), "totals": _TOTALS}
        if tenant_id:
            query, params = "PartitionKey eq @pk and RowKey eq @rk", {"pk": check_key(run_id), "rk": tenant_id}
        rows = self._tenants.query_entities(query, parameters=params, select=["RowKey", "status", "userRows"])
        final = {status.value for status in _FINAL}
        return {
            str(row["RowKey"]): (int(row["userRows"]) if row.get("userRows") is not None else None)
            async for row in rows
            if row.get("status") in final
        }

    async def save_attempt(self, run_id: str, tenant_id: str, users: list[AttemptUser], *, first: bool = False) -> None:
        # The first try to write has no earlier rows to drop: no query for them (a query a tenant).
        pk = check_key(run_id) + _TRIES
        items = [u.model_dump_json() for u in users]
        await _save_chunks(self._users, pk, tenant_id, items, drop_stale=not first)

    async def attempt(self, run_id: str, tenant_id: str) -> list[AttemptUser]:
        pk = check_key(run_id) + _TRIES
        rows = [e async for e in _chunk_rows(self._users, pk, tenant_id)]
        return [AttemptUser.model_validate(u) for e in rows for u in json.loads(e["users"])]

    async def update(self, run_id: str, change: Callable[[RunRecord], RunRecord | None]) -> RunRecord:
        """Read-modify-write the run under its ETag; `change` returns None to leave it as it is."""

        def guarded(current: RunRecord | None) -> RunRecord | None:
            if current is None:
                raise NotFound(f"run {run_id} not found")
            updated = change(current)
            return updated.model_copy(update={"tenants": []}) if updated is not None else None

        run = await read_modify_write(self._runs, _RUN_PK, run_id, RunRecord, guarded, row=_run_entity)
        assert run is not None  # guarded() raises rather than return None for a missing run
        return run


async def _save_chunks(table: TableClient, pk: str, tenant_id: str, items: list[str], *, drop_stale: bool) -> int:
    """Write the tenant's chunk rows `<tenantId>_0000`… of partition `pk` with `items`; returns how
    many. `drop_stale`: rows beyond them (an earlier, longer write) are deleted, so a reader never sees
    two tries' rows mixed (else the reader must know how many count)."""
    check_key(tenant_id)
    rows = [
        {"PartitionKey": pk, "RowKey": f"{tenant_id}_{chunk:04d}", "users": text}
        for chunk, text in enumerate(_chunks(items))
    ]
    await upsert_batched(table, rows)
    if not drop_stale:
        return len(rows)
    keep = {row["RowKey"] for row in rows}
    stale = [str(e["RowKey"]) async for e in _chunk_rows(table, pk, tenant_id, select=["RowKey"])]
    for row_key in stale:
        if row_key not in keep:
            with contextlib.suppress(ResourceNotFoundError):
                await table.delete_entity(pk, row_key)
    return len(rows)


def _chunk_rows(table: TableClient, pk: str, tenant_id: str, select: list[str] | None = None) -> Any:
    params = {"pk": pk, "lo": f"{tenant_id}_", "hi": f"{tenant_id}`"}  # '`' sorts right after '_'
    query = "PartitionKey eq @pk and RowKey ge @lo and RowKey lt @hi"
    return table.query_entities(query, parameters=params, select=select)


def _chunks(items: list[str]) -> list[str]:
    """JSON arrays of the items, each within a row's property limit; at least one (even for no users)."""
    chunks: list[str] = []
    current: list[str] = []
    size = 2
    for item in items:
        if current and (size + len(item) + 1 > _ROW_CHARS or len(current) >= _USERS_PER_ROW):
            chunks.append("[" + ",".join(current) + "]")
            current, size = [], 2
        current.append(item)
        size += len(item) + 1
    chunks.append("[" + ",".join(current) + "]")
    return chunks


def _run_entity(run: RunRecord) -> dict[str, Any]:
    slim = run.model_copy(update={"tenants": []})
    return to_entity(_RUN_PK, run.run_id, slim, status=run.status.value, type=run.type.value)


def _tenant_entity(run_id: str, result: TenantResult, *, user_rows: int | None = None) -> dict[str, Any]:
    slim = result.model_copy(update={"users": []})
    columns: dict[str, Any] = {"status": result.status.value}
    if user_rows is not None:
        columns["userRows"] = user_rows  # how many of the tenant's RunUsers rows are this final try's
    return to_entity(run_id, result.tenant_id, slim, **columns)
