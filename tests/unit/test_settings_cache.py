"""The global settings are read once per TTL per process, and a large run's overrides in one query per
TTL (issue 16: a storage read per tenant less each); this process's own writes are seen at once, a change
written elsewhere within the TTL, or at once by a run started after it."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from shared.models import RunRecord, RunType, SyncSettings, TenantOverrides, Trigger
from shared.store.settings_cache import CachedSyncSettingsStore
from tests.unit.fakes.stores import FakeSyncSettingsStore

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


class Counting(FakeSyncSettingsStore):
    def __init__(self) -> None:
        super().__init__()
        self.global_reads = 0

    async def global_settings(self) -> SyncSettings:
        self.global_reads += 1
        await asyncio.sleep(0)  # a read takes a while: other tenants' passes run meanwhile
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


class CountingOverrides(Counting):
    def __init__(self) -> None:
        super().__init__()
        self.override_reads = 0
        self.bulk_reads = 0

    async def overrides(self, tenant_id: str) -> TenantOverrides:
        self.override_reads += 1
        return await super().overrides(tenant_id)

    async def all_overrides(self) -> dict[str, TenantOverrides]:
        self.bulk_reads += 1
        return await super().all_overrides()


def _run(run_id: str, tenants: int) -> RunRecord:
    return RunRecord(
        run_id=run_id, type=RunType.ALL_TENANTS, trigger=Trigger.TIMER, started_at=NOW, tenants_expected=tenants
    )


PHONE_OFF = TenantOverrides.model_validate({"fieldControls": {"phone": False}})


async def test_a_large_runs_tenants_read_every_override_in_one_query() -> None:
    inner, clock = CountingOverrides(), Clock()
    await inner.save_overrides("t7", PHONE_OFF)
    cache = CachedSyncSettingsStore(inner, ttl=30, clock=clock)
    run = _run("r1", 200)

    seen = await asyncio.gather(*(cache.effective(f"t{i}", run=run) for i in range(200)))

    assert (inner.bulk_reads, inner.override_reads) == (1, 0)
    assert [s.field_controls.phone for s in seen].count(False) == 1 and seen[7].field_controls.phone is False
    clock.now = 30.0  # the snapshot is as old as the TTL: read again
    await cache.effective("t1", run=run)
    assert inner.bulk_reads == 2


async def test_a_run_started_after_an_edit_elsewhere_sees_it_at_once() -> None:
    inner, clock = CountingOverrides(), Clock()
    cache = CachedSyncSettingsStore(inner, ttl=30, clock=clock)
    assert (await cache.effective("t1", run=_run("r1", 60))).field_controls.phone is True

    await inner.save_overrides("t1", PHONE_OFF)  # another instance's write, between the runs

    assert (await cache.effective("t1", run=_run("r1", 60))).field_controls.phone is True  # within r1's TTL
    assert (await cache.effective("t1", run=_run("r2", 60))).field_controls.phone is False
    assert inner.bulk_reads == 2


async def test_a_write_through_the_cache_is_seen_by_the_same_run_at_once() -> None:
    inner = CountingOverrides()
    cache = CachedSyncSettingsStore(inner, ttl=30, clock=Clock())
    run = _run("r1", 60)
    await cache.effective("t1", run=run)

    await cache.save_overrides("t1", PHONE_OFF)
    assert (await cache.effective("t1", run=run)).field_controls.phone is False
    await cache.update_overrides("t1", lambda o: TenantOverrides())
    assert (await cache.effective("t1", run=run)).field_controls.phone is True
    assert inner.bulk_reads == 3


async def test_a_small_runs_tenant_reads_its_own_overrides() -> None:
    inner = CountingOverrides()
    cache = CachedSyncSettingsStore(inner, ttl=30, clock=Clock(), bulk_run=50)

    await cache.effective("t1", run=_run("r1", 49))
    await cache.effective("t1")

    assert (inner.bulk_reads, inner.override_reads) == (0, 2)


async def test_tenants_in_flight_when_the_global_settings_lapse_read_them_once() -> None:
    inner, clock = Counting(), Clock()
    cache = CachedSyncSettingsStore(inner, ttl=30, clock=clock)
    await cache.global_settings()
    clock.now = 31.0

    await asyncio.gather(*(cache.effective(f"t{i}") for i in range(12)))

    assert inner.global_reads == 2
