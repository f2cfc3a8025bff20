"""`App`: the ports every use case takes, wired once by `shared.bootstrap.build_app` (or, in unit
tests, from in-memory fakes). Nothing here builds an adapter."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from shared.config import Settings
from shared.models.subscriptions import NotificationCounts
from shared.psa.port import PsaConnector
from shared.service.ports import (
    AmbiguityStore,
    CallbackKeys,
    ChangeMarks,
    CursorStore,
    LeaseStore,
    LicenseUsageStore,
    LinkStore,
    MappingStore,
    NotifyQueue,
    RequestBudget,
    RunStore,
    ScopeLocks,
    SecureScoreStore,
    SubscriptionStore,
    SyncSettingsStore,
    TenantStore,
    UserDirectory,
    WebhookReceipts,
    WorkQueue,
)
from shared.store.account import StorageAccount

__all__ = ["App", "Clock", "utcnow"]

Clock = Callable[[], datetime]
Closer = Callable[[], Awaitable[None]]


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass
class App:
    """The wired ports. Graph is built on first use (mapping and history calls need no Graph
    credentials); `closers` release what the wiring opened (the PSA's HTTP client, storage clients)."""

    settings: Settings
    psa: PsaConnector
    tenants: TenantStore
    mappings: MappingStore
    links: LinkStore
    ambiguities: AmbiguityStore
    sync_settings: SyncSettingsStore
    runs: RunStore
    scopes: ScopeLocks
    leases: LeaseStore
    cursors: CursorStore
    queue: WorkQueue
    secure_scores: SecureScoreStore
    licenses: LicenseUsageStore
    graph_factory: Callable[[], UserDirectory]
    clock: Clock = utcnow
    webhook_receipts: WebhookReceipts | None = None  # build_app wires it; without it the webhook refuses (503)
    psa_budget: RequestBudget | None = None  # PSA requests paced across instances (build_app wires it)
    connectwise_keys: CallbackKeys | None = None  # ConnectWise callbacks' signing keys (build_app wires them)
    # Graph change notifications (issue 15); build_app wires them, and without them the feature is off.
    subscriptions: SubscriptionStore | None = None
    change_marks: ChangeMarks | None = None
    notify_queue: NotifyQueue | None = None
    notification_counts: NotificationCounts = field(default_factory=NotificationCounts)
    ensure_storage: Callable[[], Awaitable[None]] | None = None
    storage: StorageAccount | None = None  # the account the table adapters share (the dev tools read its queue)
    closers: list[Closer] = field(default_factory=list)
    _graph: UserDirectory | None = None

    @property
    def graph(self) -> UserDirectory:
        if self._graph is None:
            self._graph = self.graph_factory()
        return self._graph

    async def ensure(self) -> None:
        """Create the tables and queues the adapters use (idempotent; nothing for fakes)."""
        if self.ensure_storage is not None:
            await self.ensure_storage()

    async def aclose(self) -> None:
        if self._graph is not None:
            await self._graph.aclose()
            self._graph = None
        closers, self.closers = self.closers, []
        for close in reversed(closers):
            await close()
