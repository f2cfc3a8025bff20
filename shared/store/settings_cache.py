"""The global sync settings, read from Table Storage at most once per `ttl` seconds per process.

Every tenant's pass reads the effective settings: the global row and the tenant's overrides. The
global row is the same for every tenant of a run, so reading it again for each of 2,000 tenants is
one storage transaction per tenant for nothing (issue 16). This process's own writes replace the cached
value at once; a change made through another instance is seen here within `ttl` seconds, which a
run's tenants can see anyway (each reads the settings when its pass starts, not when the run starts).
The tenant's overrides are read each time.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from shared.models import SyncSettings, TenantOverrides

if TYPE_CHECKING:
    from shared.service.ports import SyncSettingsStore

__all__ = ["GLOBAL_SETTINGS_TTL", "CachedSyncSettingsStore"]

GLOBAL_SETTINGS_TTL = 30.0  # seconds


class CachedSyncSettingsStore:
    """A `SyncSettingsStore` over `inner` that keeps the global settings for `ttl` seconds."""

    def __init__(
        self,
        inner: SyncSettingsStore,
        *,
        ttl: float = GLOBAL_SETTINGS_TTL,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._inner, self._ttl, self._clock = inner, ttl, clock
        self._global: tuple[float, SyncSettings] | None = None

    async def global_settings(self) -> SyncSettings:
        cached = self._global
        if cached is not None and self._clock() - cached[0] < self._ttl:
            return cached[1]
        return self._keep(await self._inner.global_settings())

    async def save_global(self, settings: SyncSettings) -> None:
        self._global = None
        await self._inner.save_global(settings)
        self._keep(settings)

    async def update_global(self, change: Callable[[SyncSettings], SyncSettings]) -> SyncSettings:
        self._global = None
        return self._keep(await self._inner.update_global(change))

    async def overrides(self, tenant_id: str) -> TenantOverrides:
        return await self._inner.overrides(tenant_id)

    async def save_overrides(self, tenant_id: str, overrides: TenantOverrides) -> None:
        await self._inner.save_overrides(tenant_id, overrides)

    async def update_overrides(
        self, tenant_id: str, change: Callable[[TenantOverrides], TenantOverrides]
    ) -> TenantOverrides:
        return await self._inner.update_overrides(tenant_id, change)

    async def effective(self, tenant_id: str) -> SyncSettings:
        return (await self.overrides(tenant_id)).merged_over(await self.global_settings())

    def _keep(self, settings: SyncSettings) -> SyncSettings:
        self._global = (self._clock(), settings)
        return settings
