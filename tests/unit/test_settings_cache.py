"""The global settings are read once per TTL per process (issue 16: one storage read per tenant less);
this process's own writes are seen at once, a change written elsewhere within the TTL."""

from __future__ import annotations

from shared.models import SyncSettings, TenantOverrides
from shared.store.settings_cache import CachedSyncSettingsStore
from tests.unit.fakes.stores import FakeSyncSettingsStore


class Counting(FakeSyncSettingsStore):
    def __init__(self) -> None:
        super().__init__()
        self.global_reads = 0

    async def global_settings(self) -> SyncSettings:
        self.global_reads += 1
        return await super().global_settings()


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def _phone(on: bool) -> SyncSettings:
    settings = SyncSettings()
    return settings.model_copy(update={"field_controls": settings.field_controls.model_copy(update={"phone": on})})


async def test_the_global_settings_are_read_once_per_ttl_for_every_tenant() -> None:
    inner, clock = Counting(), Clock()
    cache = CachedSyncSettingsStore(inner, ttl=30, clock=clock)

    for tenant in ("a", "b", "c"):
        await cache.effective(tenant)
    assert inner.global_reads == 1
    clock.now = 30.0
    await cache.effective("d")
    assert inner.global_reads == 2


async def test_a_write_through_the_cache_is_seen_at_once_and_one_elsewhere_within_the_ttl() -> None:
    inner, clock = Counting(), Clock()
    cache = CachedSyncSettingsStore(inner, ttl=30, clock=clock)
    await cache.global_settings()

    await cache.save_global(_phone(False))
    assert (await cache.effective("a")).field_controls.phone is False
    await cache.update_global(lambda s: s.model_copy(update={"field_controls": _phone(True).field_controls}))
    assert (await cache.effective("a")).field_controls.phone is True

    await inner.save_global(_phone(False))  # another instance's write
    assert (await cache.effective("a")).field_controls.phone is True
    clock.now = 31.0
    assert (await cache.effective("a")).field_controls.phone is False


async def test_the_tenants_overrides_are_read_every_time() -> None:
    inner = Counting()
    cache = CachedSyncSettingsStore(inner, ttl=30, clock=Clock())
    await cache.effective("a")

    await inner.save_overrides("a", TenantOverrides.model_validate({"fieldControls": {"phone": False}}))

    assert (await cache.effective("a")).field_controls.phone is False
