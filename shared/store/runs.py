"""Runs, each tenant's result in a run, and every user's outcome (chunked: a row holds at most 64 KiB).
The scope a live run holds is `shared.store.scope_locks`."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

from azure.core.exceptions import ResourceNotFoundError

from shared.errors import NotFound
from shared.models import RunRecord, TenantResult, UserOutcome
from shared.store.account import StorageAccount
from shared.store.batch import upsert_batched
from shared.store.entities import check_key, from_entity, read_modify_write, to_entity
from shared.store.names import Table

__all__ = ["TableRunStore"]

log = logging.getLogger(__name__)

_RUN_PK = "run"
_USERS_PER_ROW = 200
_ROW_CHARS = 30_000  # UTF-16 units: a string property holds at most 64 KiB
_RETRIES = 20


class TableRunStore:
    def __init__(self, account: StorageAccount) -> None:
        self._runs = account.table(Table.RUNS)
        self._tenants = account.table(Table.RUN_TENANTS)
        self._users = account.table(Table.RUN_USERS)

    async def create(self, run: RunRecord, tenants: list[TenantResult]) -> None:
        await upsert_batched(self._tenants, (_tenant_entity(run.run_id, t) for t in tenants))
        await self._runs.create_entity(_run_entity(run))

    async def get(self, run_id: str) -> RunRecord | None:
        try:
            entity = await self._runs.get_entity(_RUN_PK, check_key(run_id, "runId"))
        except ResourceNotFoundError:
            return None
        return from_entity(entity, RunRecord)

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
        return runs

    async def tenant_results(self, run_id: str) -> list[TenantResult]:
        rows = self._tenants.query_entities("PartitionKey eq @pk", parameters={"pk": check_key(run_id)})
        return sorted([from_entity(e, TenantResult) async for e in rows], key=lambda t: t.tenant_id)

    async def tenant_result(self, run_id: str, tenant_id: str) -> TenantResult | None:
        try:
            return from_entity(await self._tenants.get_entity(check_key(run_id), check_key(tenant_id)), TenantResult)
        except ResourceNotFoundError:
            return None

    async def save_tenant_result(self, run_id: str, result: TenantResult) -> None:
        await self._tenants.upsert_entity(_tenant_entity(run_id, result))

    async def save_user_outcomes(self, run_id: str, tenant_id: str, users: list[UserOutcome]) -> None:
        rows = [
            {"PartitionKey": check_key(run_id), "RowKey": f"{check_key(tenant_id)}_{chunk:04d}", "users": text}
            for chunk, text in enumerate(_chunks([u.model_dump_json() for u in users]))
        ]
        await upsert_batched(self._users, rows)

    async def user_outcomes(self, run_id: str, tenant_id: str | None = None) -> dict[str, list[UserOutcome]]:
        query = "PartitionKey eq @pk"
        params = {"pk": check_key(run_id)}
        if tenant_id:
            query += " and RowKey ge @lo and RowKey lt @hi"
            params |= {"lo": f"{tenant_id}_", "hi": f"{tenant_id}`"}  # '`' sorts right after '_'
        out: dict[str, list[UserOutcome]] = {}
        async for entity in self._users.query_entities(query, parameters=params):
            tid = str(entity["RowKey"]).rsplit("_", 1)[0]
            out.setdefault(tid, []).extend(UserOutcome.model_validate(u) for u in json.loads(entity["users"]))
        return out

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


def _tenant_entity(run_id: str, result: TenantResult) -> dict[str, Any]:
    slim = result.model_copy(update={"users": []})
    return to_entity(run_id, result.tenant_id, slim, status=result.status.value)
