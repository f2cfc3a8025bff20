"""In-memory fakes of the storage ports in `shared.service.ports`, with the Table adapters' semantics
(what a row keeps, how the read-modify-writes and the optimistic locks behave), and no I/O.

Each fake stores copies, so a caller changing a model it passed in or got back changes nothing here."""

from __future__ import annotations

import itertools
import json
import zlib
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

from shared.errors import NotFound
from shared.models import (
    Ambiguity,
    AmbiguityStatus,
    ContactLink,
    DeltaCursor,
    Mapping,
    RunRecord,
    SyncSettings,
    Tenant,
    TenantOverrides,
    TenantResult,
    TenantStatus,
    UserOutcome,
)
from shared.models.licenses import SkuUsage
from shared.models.queue import TenantMessage
from shared.models.runs import AttemptUser, RunTotals
from shared.models.secure_score import ScorePoint
from shared.service.ports import (
    AmbiguityStore,
    CursorStore,
    LeaseStore,
    LicenseUsageStore,
    LinkStore,
    MappingStore,
    RunStore,
    ScopeLocks,
    SecureScoreStore,
    SyncSettingsStore,
    TenantStore,
    WebhookReceipts,
    WorkQueue,
)
from shared.sync.snapshot import UserSnapshot

__all__ = [
    "FakeAmbiguityStore",
    "FakeCursorStore",
    "FakeLeaseStore",
    "FakeLicenseUsageStore",
    "FakeLinkStore",
    "FakeMappingStore",
    "FakeRunStore",
    "FakeScopeLocks",
    "FakeSecureScoreStore",
    "FakeSyncSettingsStore",
    "FakeTenantStore",
    "FakeWebhookReceipts",
    "FakeWorkQueue",
]

_BATCH = 100  # operations per storage transaction, as the Table adapters count them
_FINAL = (TenantStatus.SUCCEEDED, TenantStatus.FAILED, TenantStatus.HELD)


def _transactions(rows: int) -> int:
    return -(-rows // _BATCH)


class FakeTenantStore:
    def __init__(self, tenants: Iterable[Tenant] = ()) -> None:
        self.rows: dict[str, Tenant] = {t.tenant_id: t.model_copy(deep=True) for t in tenants}

    async def get(self, tenant_id: str) -> Tenant | None:
        tenant = self.rows.get(tenant_id)
        return tenant.model_copy(deep=True) if tenant else None

    async def list(self) -> list[Tenant]:
        return [self.rows[k].model_copy(deep=True) for k in sorted(self.rows)]

    async def save_many(self, tenants: Iterable[Tenant]) -> None:
        for tenant in tenants:
            self.rows[tenant.tenant_id] = tenant.model_copy(deep=True)


class FakeMappingStore:
    def __init__(self, mappings: Iterable[Mapping] = ()) -> None:
        self.rows: dict[str, Mapping] = {m.tenant_id: m.model_copy(deep=True) for m in mappings}
        self.claims: dict[str, str] = {}  # client id -> the tenant holding it (R1.7)

    async def get(self, tenant_id: str) -> Mapping | None:
        mapping = self.rows.get(tenant_id)
        return mapping.model_copy(deep=True) if mapping else None

    async def list(self) -> list[Mapping]:
        return [self.rows[k].model_copy(deep=True) for k in sorted(self.rows)]

    async def save(self, mapping: Mapping) -> None:
        self.rows[mapping.tenant_id] = mapping.model_copy(deep=True)

    async def save_many(self, mappings: Iterable[Mapping]) -> None:
        for mapping in mappings:
            await self.save(mapping)

    async def claim_client(self, client_id: str, tenant_id: str) -> str | None:
        holder = self.claims.setdefault(client_id, tenant_id)
        return None if holder == tenant_id else holder

    async def release_client(self, client_id: str, tenant_id: str) -> None:
        if self.claims.get(client_id) == tenant_id:
            del self.claims[client_id]


class FakeLinkStore:
    """`saves` records each save_many call's links, so tests can see the batches."""

    def __init__(self, links: Iterable[ContactLink] = ()) -> None:
        self.rows: dict[tuple[str, str], ContactLink] = {}
        self.saves: list[list[ContactLink]] = []
        for link in links:
            self.rows[(link.tenant_id, link.user_id)] = link.model_copy(deep=True)

    async def for_tenant(self, tenant_id: str) -> list[ContactLink]:
        return [link.model_copy(deep=True) for (tid, _), link in sorted(self.rows.items()) if tid == tenant_id]

    async def get(self, tenant_id: str, user_id: str) -> ContactLink | None:
        link = self.rows.get((tenant_id, user_id))
        return link.model_copy(deep=True) if link else None

    async def save_many(self, links: Iterable[ContactLink]) -> int:
        batch = [link.model_copy(deep=True) for link in links]
        self.saves.append(batch)
        for link in batch:
            self.rows[(link.tenant_id, link.user_id)] = link
        return _transactions(len(batch))

    async def save(self, link: ContactLink) -> None:
        await self.save_many([link])


class FakeAmbiguityStore:
    def __init__(self, items: Iterable[Ambiguity] = ()) -> None:
        self.rows: dict[tuple[str, str], Ambiguity] = {}
        for item in items:
            self.rows[(item.tenant_id, item.user_id)] = item.model_copy(deep=True)

    async def for_tenant(self, tenant_id: str) -> list[Ambiguity]:
        return [a.model_copy(deep=True) for (tid, _), a in sorted(self.rows.items()) if tid == tenant_id]

    async def get(self, tenant_id: str, user_id: str) -> Ambiguity | None:
        item = self.rows.get((tenant_id, user_id))
        return item.model_copy(deep=True) if item else None

    async def list(self, status: AmbiguityStatus | None = None) -> list[Ambiguity]:
        return [a.model_copy(deep=True) for _, a in sorted(self.rows.items()) if status is None or a.status is status]

    async def save_many(self, items: Iterable[Ambiguity]) -> int:
        batch = list(items)
        for item in batch:
            self.rows[(item.tenant_id, item.user_id)] = item.model_copy(deep=True)
        return _transactions(len(batch))


class FakeSyncSettingsStore:
    """One global row and one row of overrides per tenant; `effective` merges them as
    `TableSyncSettingsStore` does (`TenantOverrides.merged_over`)."""

    def __init__(self, settings: SyncSettings | None = None) -> None:
        self.global_row: SyncSettings | None = settings.model_copy(deep=True) if settings else None
        self.override_rows: dict[str, TenantOverrides] = {}

    async def global_settings(self) -> SyncSettings:
        return self.global_row.model_copy(deep=True) if self.global_row else SyncSettings()

    async def save_global(self, settings: SyncSettings) -> None:
        self.global_row = settings.model_copy(deep=True)

    async def overrides(self, tenant_id: str) -> TenantOverrides:
        row = self.override_rows.get(tenant_id)
        return row.model_copy(deep=True) if row else TenantOverrides()

    async def save_overrides(self, tenant_id: str, overrides: TenantOverrides) -> None:
        self.override_rows[tenant_id] = overrides.model_copy(deep=True)

    async def update_global(self, change: Callable[[SyncSettings], SyncSettings]) -> SyncSettings:
        await self.save_global(change(await self.global_settings()))
        return await self.global_settings()

    async def update_overrides(
        self, tenant_id: str, change: Callable[[TenantOverrides], TenantOverrides]
    ) -> TenantOverrides:
        await self.save_overrides(tenant_id, change(await self.overrides(tenant_id)))
        return await self.overrides(tenant_id)

    async def all_overrides(self) -> dict[str, TenantOverrides]:
        return {tenant: row.model_copy(deep=True) for tenant, row in self.override_rows.items()}

    async def effective(self, tenant_id: str, *, run: RunRecord | None = None) -> SyncSettings:
        return (await self.overrides(tenant_id)).merged_over(await self.global_settings())


class FakeRunStore:
    """Runs, tenant rows, the runs' totals, user outcomes and the tries' intents. Like the Table rows, a
    stored run keeps no `tenants` and a stored tenant result no `users` (those are read back by
    `run_details`); a run still going is shown with its totals, which only `count_tenant` changes, as
    one transaction with the tenant's final row. `updates` counts the run record's writes by `update`,
    `completions` how many of them completed it, `counted` the tenants `count_tenant` counted."""

    def __init__(self) -> None:
        self.runs: dict[str, RunRecord] = {}
        self.tenants: dict[str, dict[str, TenantResult]] = {}
        self.run_totals: dict[str, RunTotals] = {}
        self.users: dict[str, dict[str, list[UserOutcome]]] = {}
        self.attempts: dict[str, dict[str, list[AttemptUser]]] = {}
        self.updates = 0
        self.completions = 0
        self.counted = 0

    async def create(self, run: RunRecord, tenants: list[TenantResult]) -> None:
        for tenant in tenants:
            self.tenants.setdefault(run.run_id, {})[tenant.tenant_id] = tenant.model_copy(
                update={"users": []}, deep=True
            )
        self.run_totals[run.run_id] = RunTotals(tenants_expected=len(tenants))
        self.runs[run.run_id] = run.model_copy(update={"tenants": []}, deep=True)

    def _live(self, run: RunRecord) -> RunRecord:
        totals = self.run_totals.get(run.run_id)
        shown = totals.shown_on(run) if run.active and totals is not None else run
        return shown.model_copy(deep=True)

    async def get(self, run_id: str, *, live: bool = True) -> RunRecord | None:
        run = self.runs.get(run_id)
        if run is None:
            return None
        return self._live(run) if live else run.model_copy(deep=True)

    async def require(self, run_id: str) -> RunRecord:
        run = await self.get(run_id)
        if run is None:
            raise NotFound(f"run {run_id} not found")
        return run

    async def page(self, limit: int, after: str | None = None) -> list[RunRecord]:
        ids = [run_id for run_id in sorted(self.runs) if after is None or run_id > after]
        return [self._live(self.runs[run_id]) for run_id in ids[:limit]]

    async def active(self) -> list[RunRecord]:
        return [self._live(run) for _, run in sorted(self.runs.items()) if run.active]

    async def tenant_results(self, run_id: str) -> list[TenantResult]:
        rows = self.tenants.get(run_id, {})
        return [rows[k].model_copy(deep=True) for k in sorted(rows)]

    async def tenant_result(self, run_id: str, tenant_id: str) -> TenantResult | None:
        row = self.tenants.get(run_id, {}).get(tenant_id)
        return row.model_copy(deep=True) if row else None

    async def update_tenant(
        self, run_id: str, tenant_id: str, change: Callable[[TenantResult], TenantResult | None]
    ) -> TenantResult | None:
        current = await self.tenant_result(run_id, tenant_id)
        if current is None:
            return None
        updated = change(current)
        if updated is None:
            return current
        self.tenants[run_id][tenant_id] = updated.model_copy(update={"users": []}, deep=True)
        return updated.model_copy(deep=True)

    async def count_tenant(
        self, run_id: str, result: TenantResult, *, user_rows: int | None = None
    ) -> tuple[RunTotals, bool]:
        stored = self.tenants.get(run_id, {}).get(result.tenant_id)
        if stored is None:
            raise NotFound(f"run {run_id} has no tenant {result.tenant_id}")
        totals = self.run_totals[run_id]
        if stored.status in _FINAL:
            return totals.model_copy(deep=True), False
        final = result.model_copy(update={"users": [], "attempts": max(stored.attempts, result.attempts)}, deep=True)
        self.tenants[run_id][result.tenant_id] = final
        if user_rows == 0:  # this try saved none: what an earlier try saved is not the run's
            self.users.get(run_id, {}).pop(result.tenant_id, None)
        self.run_totals[run_id] = totals = totals.plus(final, final.completed_at)
        self.counted += 1
        return totals.model_copy(deep=True), True

    async def totals(self, run_id: str) -> RunTotals | None:
        totals = self.run_totals.get(run_id)
        return totals.model_copy(deep=True) if totals else None

    async def save_user_outcomes(self, run_id: str, tenant_id: str, users: list[UserOutcome]) -> int:
        self.users.setdefault(run_id, {})[tenant_id] = [u.model_copy() for u in users]
        return 1 if users else 0

    async def user_outcomes(self, run_id: str, tenant_id: str | None = None) -> dict[str, list[UserOutcome]]:
        rows = self.users.get(run_id, {})
        return {tid: [u.model_copy() for u in users] for tid, users in rows.items() if tenant_id in (None, tid)}

    async def save_attempt(self, run_id: str, tenant_id: str, users: list[AttemptUser], *, first: bool = False) -> None:
        # The Table store skips looking for an earlier try's rows when told it is the first: say it truly.
        assert not (first and tenant_id in self.attempts.get(run_id, {})), "an earlier try's intent is stored"
        self.attempts.setdefault(run_id, {})[tenant_id] = [u.model_copy(deep=True) for u in users]

    async def attempt(self, run_id: str, tenant_id: str) -> list[AttemptUser]:
        return [u.model_copy(deep=True) for u in self.attempts.get(run_id, {}).get(tenant_id, [])]

    async def update(self, run_id: str, change: Callable[[RunRecord], RunRecord | None]) -> RunRecord:
        current = self.runs.get(run_id)
        if current is None:
            raise NotFound(f"run {run_id} not found")
        updated = change(current.model_copy(deep=True))
        if updated is None:
            return current.model_copy(deep=True)
        self.updates += 1
        if updated.completed_at is not None and current.completed_at is None:
            self.completions += 1
        self.runs[run_id] = updated.model_copy(update={"tenants": []}, deep=True)
        return updated.model_copy(update={"tenants": []}, deep=True)


class FakeScopeLocks:
    """Each scope's holder with an etag that changes on every take (optimistic concurrency)."""

    def __init__(self) -> None:
        self.rows: dict[str, tuple[str, str]] = {}
        self._etags = itertools.count(1)

    async def holder(self, scope: str) -> tuple[str, str] | None:
        return self.rows.get(scope)

    async def take(self, scope: str, run_id: str, etag: str | None) -> bool:
        current = self.rows.get(scope)
        if (current is None) != (etag is None) or (current is not None and current[1] != etag):
            return False
        self.rows[scope] = (run_id, f"etag-{next(self._etags)}")
        return True


class FakeLeaseStore:
    """An expiring lease per tenant: expiry is judged by the `now` each caller passes in."""

    def __init__(self) -> None:
        self.rows: dict[str, tuple[str, datetime]] = {}  # tenant -> (owner, expires at)
        self.acquired = 0
        self.released = 0
        self.taken_over = 0

    async def acquire(
        self, tenant_id: str, owner: str, now: datetime, ttl: timedelta, *, take_over: str | None = None
    ) -> bool:
        current = self.rows.get(tenant_id)
        if current is not None and current[0] not in (owner, take_over) and current[1] > now:
            return False
        if current is not None and take_over is not None and current[0] == take_over and current[1] > now:
            self.taken_over += 1
        self.rows[tenant_id] = (owner, now + ttl)
        self.acquired += 1
        return True

    async def holder(self, tenant_id: str) -> str | None:
        current = self.rows.get(tenant_id)
        return current[0] if current else None

    async def release(self, tenant_id: str, owner: str) -> None:
        current = self.rows.get(tenant_id)
        if current is not None and current[0] == owner:
            del self.rows[tenant_id]
            self.released += 1


class FakeCursorStore:
    """The cursor and the snapshot per tenant. The snapshot is kept as the rows `changed_rows` would
    write, so `snapshot_hashes` and `load_snapshot` answer as the Table adapter's do."""

    def __init__(self) -> None:
        self.cursors: dict[str, DeltaCursor] = {}
        self.snapshots: dict[str, dict[int, tuple[str, dict[str, dict[str, Any]]]]] = {}
        self.saves = 0

    async def get(self, tenant_id: str) -> DeltaCursor | None:
        cursor = self.cursors.get(tenant_id)
        return cursor.model_copy(deep=True) if cursor else None

    async def snapshot_hashes(self, tenant_id: str) -> dict[int, str]:
        return {bucket: digest for bucket, (digest, _) in self.snapshots.get(tenant_id, {}).items()}

    async def load_snapshot(self, tenant_id: str, buckets: int) -> UserSnapshot:
        stored = self.snapshots.get(tenant_id, {})
        rows = {b: _copy_rows(users) for b, (_, users) in stored.items() if b < buckets}
        return UserSnapshot(buckets, rows, {b: digest for b, (digest, _) in stored.items() if b < buckets})

    async def save(self, tenant_id: str, cursor: DeltaCursor, snapshot: UserSnapshot | None = None) -> int:
        rows = 1
        if snapshot is not None:
            cursor = cursor.model_copy(update={"buckets": snapshot.buckets})
            changed = snapshot.changed_rows()
            for bucket, (digest, data) in changed.items():
                self.snapshots.setdefault(tenant_id, {})[bucket] = (digest, json.loads(zlib.decompress(data)))
            rows += len(changed)
        self.cursors[tenant_id] = cursor.model_copy(deep=True)
        self.saves += 1
        return _transactions(rows)


def _copy_rows(users: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {user_id: dict(values) for user_id, values in users.items()}


class FakeWorkQueue:
    """Records every message sent, with its delay."""

    def __init__(self) -> None:
        self.sent: list[tuple[TenantMessage, int]] = []

    async def send(self, messages: Iterable[TenantMessage], *, delay_seconds: int = 0) -> int:
        batch = [(message.model_copy(), delay_seconds) for message in messages]
        self.sent.extend(batch)
        return len(batch)

    def messages(self) -> list[TenantMessage]:
        return [message for message, _ in self.sent]


class FakeSecureScoreStore:
    """A point per client and day: a second point the same day replaces the first."""

    def __init__(self) -> None:
        self.rows: dict[str, dict[str, ScorePoint]] = {}

    async def record(self, client_id: str, point: ScorePoint) -> None:
        self.rows.setdefault(client_id, {})[point.date.isoformat()] = point.model_copy()

    async def history(self, client_id: str) -> list[ScorePoint]:
        rows = self.rows.get(client_id, {})
        return [rows[day].model_copy() for day in sorted(rows)]


class FakeLicenseUsageStore:
    def __init__(self) -> None:
        self.rows: dict[str, list[SkuUsage]] = {}

    async def replace(self, tenant_id: str, rows: Sequence[SkuUsage]) -> None:
        self.rows[tenant_id] = [row.model_copy() for row in rows]

    async def list(self, tenant_id: str | None = None) -> list[SkuUsage]:
        return [row.model_copy() for tid, rows in sorted(self.rows.items()) if tenant_id in (None, tid) for row in rows]


class FakeWebhookReceipts:
    """Each key recorded once, as the table's atomic create does."""

    def __init__(self) -> None:
        self.keys: dict[str, datetime] = {}

    async def first_time(self, key: str, at: datetime) -> bool:
        if key in self.keys:
            return False
        self.keys[key] = at
        return True

    async def forget(self, key: str, at: datetime) -> None:
        self.keys.pop(key, None)


# A port change breaks these at type-check time (`mypy tests/unit/fakes`), not in a test run.
_tenants: TenantStore = FakeTenantStore()
_mappings: MappingStore = FakeMappingStore()
_links: LinkStore = FakeLinkStore()
_ambiguities: AmbiguityStore = FakeAmbiguityStore()
_settings: SyncSettingsStore = FakeSyncSettingsStore()
_runs: RunStore = FakeRunStore()
_scopes: ScopeLocks = FakeScopeLocks()
_leases: LeaseStore = FakeLeaseStore()
_cursors: CursorStore = FakeCursorStore()
_queue: WorkQueue = FakeWorkQueue()
_scores: SecureScoreStore = FakeSecureScoreStore()
_licenses: LicenseUsageStore = FakeLicenseUsageStore()
_receipts: WebhookReceipts = FakeWebhookReceipts()
