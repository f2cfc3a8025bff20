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
from collections.abc import Callable
from typing import TYPE_CHECKING

from shared.models import RunRecord, SyncSettings, TenantOverrides

if TYPE_CHECKING:
    from shared.service.ports import SyncSettingsStore

__all__ = ["BULK_RUN", "GLOBAL_SETTINGS_TTL", "CachedSyncSettingsStore"]

GLOBAL_SETTINGS_TTL = 30.0  # seconds
BULK_RUN = 50  # tenants in a run from which its tenants' overrides are read in one query


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
        self._inner, self._ttl, self._clock, self._bulk_run = inner, ttl, clock, bulk_run
        self._global: tuple[float, SyncSettings] | None = None
        self._run_overrides: tuple[str, float, dict[str, TenantOverrides]] | None = None  # run id, read at, rows
        self._loading = asyncio.Lock()
        self._loading_global = asyncio.Lock()
        self.overrides_queries = 0  # reads of every tenant's overrides (tests count them)

    async def global_settings(self) -> SyncSettings:
        cached = self._fresh_global()
        if cached is not None:
            return cached
        async with self._loading_global:  # the tenants in flight when it lapses: one read for them all
            cached = self._fresh_global()
            if cached is not None:
                return cached
            return self._keep(await self._inner.global_settings())

    def _fresh_global(self) -> SyncSettings | None:
        cached = self._global
        return cached[1] if cached is not None and self._clock() - cached[0] < self._ttl else None

    async def save_global(self, settings: SyncSettings) -> None:
        self._global = None
        await self._inner.save_global(settings)
        self._keep(settings)

    async def update_global(self, change: Callable[[SyncSettings], SyncSettings]) -> SyncSettings:
        self._global = None
        return self._keep(await self._inner.update_global(change))

    async def overrides(self, tenant_id: str) -> TenantOverrides:
        return await self._inner.overrides(tenant_id)

    async def all_overrides(self) -> dict[str, TenantOverrides]:
        return await self._inner.all_overrides()

    async def save_overrides(self, tenant_id: str, overrides: TenantOverrides) -> None:
        self._run_overrides = None
        await self._inner.save_overrides(tenant_id, overrides)

    async def update_overrides(
        self, tenant_id: str, change: Callable[[TenantOverrides], TenantOverrides]
    ) -> TenantOverrides:
        self._run_overrides = None
        return await self._inner.update_overrides(tenant_id, change)

    async def effective(self, tenant_id: str, *, run: RunRecord | None = None) -> SyncSettings:
        if run is not None and run.tenants_expected >= self._bulk_run:
            rows = await self._overrides_for(run.run_id)
            overrides = rows.get(tenant_id)
            overrides = overrides.model_copy(deep=True) if overrides is not None else TenantOverrides()
        else:
            overrides = await self.overrides(tenant_id)
        return overrides.merged_over(await self.global_settings())

    async def _overrides_for(self, run_id: str) -> dict[str, TenantOverrides]:
        fresh = self._fresh(run_id)
        if fresh is not None:
            return fresh
        async with self._loading:  # the run's first tenants arrive together: one query for them all
            fresh = self._fresh(run_id)
            if fresh is not None:
                return fresh
            read_at = self._clock()
            rows = await self._inner.all_overrides()
            self.overrides_queries += 1
            self._run_overrides = (run_id, read_at, rows)
            return rows

    def _fresh(self, run_id: str) -> dict[str, TenantOverrides] | None:
        cached = self._run_overrides
        if cached is not None and cached[0] == run_id and self._clock() - cached[1] < self._ttl:
            return cached[2]
        return None

    def _keep(self, settings: SyncSettings) -> SyncSettings:
        self._global = (self._clock(), settings)
        return settings
