"""The sync settings as a tenant's pass reads them, with fewer storage reads (issue 16).

Every tenant's pass reads the effective settings: the global row and the tenant's overrides.

* The global row is the same for every tenant, so it is read at most once per `ttl` seconds per
  process. This process's own writes replace the cached value at once; a change made through another
  instance is seen here within `ttl` seconds, which a run's tenants can see anyway (each reads the
  settings when its pass starts, not when the run starts).
* In a run of `BULK_RUN` tenants or more, every tenant's overrides are read in one query when the
  run's first tenant here starts, and again once they are `ttl` seconds old: one query instead of a
  point read per tenant. The snapshot belongs to that run only, so a run started after an operator
  saved overrides (the "sync now" after an edit) always reads them afresh; a change saved during a
  large run reaches its tenants that start `ttl` seconds later at the most, as a global change does.
  Smaller runs (a tenant's own run, a notification's pass) read the tenant's overrides each time.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Generic, TypeVar

from shared.models import RunRecord, SyncSettings, TenantOverrides

if TYPE_CHECKING:
    from shared.service.ports import SyncSettingsStore

__all__ = ["BULK_RUN", "GLOBAL_SETTINGS_TTL", "CachedSyncSettingsStore"]

GLOBAL_SETTINGS_TTL = 30.0  # seconds
BULK_RUN = 50  # tenants in a run from which its tenants' overrides are read in one query
_GLOBAL = "global"

T = TypeVar("T")


class _Kept(Generic[T]):
    """One value read from storage for one key, kept `ttl` seconds; the callers that find it missing
    or stale together read it once (the tenants in flight)."""

    def __init__(self, ttl: float, clock: Callable[[], float]) -> None:
        self._ttl, self._clock = ttl, clock
        self._entry: tuple[str, float, T] | None = None  # key, read at, value
        self._loading = asyncio.Lock()

    async def get(self, key: str, read: Callable[[], Awaitable[T]]) -> T:
        fresh = self._fresh(key)
        if fresh is not None:
            return fresh
        async with self._loading:
            fresh = self._fresh(key)
            if fresh is not None:
                return fresh
            read_at = self._clock()
            value = await read()
            self._entry = (key, read_at, value)
            return value

    def put(self, key: str, value: T) -> T:
        self._entry = (key, self._clock(), value)
        return value

    def clear(self) -> None:
        self._entry = None

    def _fresh(self, key: str) -> T | None:  # the values kept here are never None
        entry = self._entry
        return entry[2] if entry is not None and entry[0] == key and self._clock() - entry[1] < self._ttl else None


class CachedSyncSettingsStore:
    """A `SyncSettingsStore` over `inner` that keeps the global settings, and a large run's overrides,
    for `ttl` seconds."""

    def __init__(
        self,
        inner: SyncSettingsStore,
        *,
        ttl: float = GLOBAL_SETTINGS_TTL,
        clock: Callable[[], float] = time.monotonic,
        bulk_run: int = BULK_RUN,
    ) -> None:
        self._inner, self._bulk_run = inner, bulk_run
        self._global: _Kept[SyncSettings] = _Kept(ttl, clock)
        self._run_overrides: _Kept[dict[str, TenantOverrides]] = _Kept(ttl, clock)  # keyed by run id

    async def global_settings(self) -> SyncSettings:
        return await self._global.get(_GLOBAL, self._inner.global_settings)

    async def save_global(self, settings: SyncSettings) -> None:
        self._global.clear()
        await self._inner.save_global(settings)
        self._global.put(_GLOBAL, settings)

    async def update_global(self, change: Callable[[SyncSettings], SyncSettings]) -> SyncSettings:
        self._global.clear()
        return self._global.put(_GLOBAL, await self._inner.update_global(change))

    async def overrides(self, tenant_id: str) -> TenantOverrides:
        return await self._inner.overrides(tenant_id)

    async def all_overrides(self) -> dict[str, TenantOverrides]:
        return await self._inner.all_overrides()

    async def save_overrides(self, tenant_id: str, overrides: TenantOverrides) -> None:
        self._run_overrides.clear()
        await self._inner.save_overrides(tenant_id, overrides)

    async def update_overrides(
        self, tenant_id: str, change: Callable[[TenantOverrides], TenantOverrides]
    ) -> TenantOverrides:
        self._run_overrides.clear()
        return await self._inner.update_overrides(tenant_id, change)

    async def effective(self, tenant_id: str, *, run: RunRecord | None = None) -> SyncSettings:
        if run is not None and run.tenants_expected >= self._bulk_run:
            rows = await self._run_overrides.get(run.run_id, self._inner.all_overrides)
            overrides = rows.get(tenant_id)
            overrides = overrides.model_copy(deep=True) if overrides is not None else TenantOverrides()
        else:
            overrides = await self.overrides(tenant_id)
        return overrides.merged_over(await self.global_settings())
