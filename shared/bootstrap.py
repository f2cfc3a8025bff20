"""Builds the app's parts once, lazily, in one place; tests and the CLI pass their own.

Nothing here runs at import time: the Functions host imports every blueprint to index it, and a
missing setting must fail the call that needs it, naming the setting, not the whole app.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from shared.config import PsaProvider, Settings, load_settings
from shared.errors import ConfigError
from shared.graph.client import GraphGateway, new_http_client
from shared.graph.credentials import build_credential
from shared.psa.directory import TableDirectory
from shared.psa.port import PsaConnector
from shared.store.account import StorageAccount
from shared.store.facts import SecureScoreHistory
from shared.store.licenses import LicenseUsageRepo
from shared.store.links import AmbiguityRepo, LinkRepo
from shared.store.queue import SyncQueue
from shared.store.runs import RunRepo, ScopeLocks
from shared.store.settings_repo import SettingsRepo
from shared.store.sync_state import BrakeState, DeltaState, LeaseStore
from shared.store.tenants import MappingRepo, TenantRepo

__all__ = ["App", "build_app", "get_app", "set_app", "utcnow"]

Clock = Callable[[], datetime]


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass
class App:
    """The wired adapters every use case takes."""

    settings: Settings
    account: StorageAccount
    psa: PsaConnector
    clock: Clock = utcnow
    _graph: GraphGateway | None = None
    graph_factory: Callable[[], GraphGateway] | None = None
    tenants: TenantRepo = field(init=False)
    mappings: MappingRepo = field(init=False)
    links: LinkRepo = field(init=False)
    ambiguities: AmbiguityRepo = field(init=False)
    sync_settings: SettingsRepo = field(init=False)
    runs: RunRepo = field(init=False)
    scopes: ScopeLocks = field(init=False)
    leases: LeaseStore = field(init=False)
    delta: DeltaState = field(init=False)
    queue: SyncQueue = field(init=False)
    brakes: BrakeState = field(init=False)
    secure_scores: SecureScoreHistory = field(init=False)
    licenses: LicenseUsageRepo = field(init=False)

    def __post_init__(self) -> None:
        self.tenants = TenantRepo(self.account)
        self.mappings = MappingRepo(self.account)
        self.links = LinkRepo(self.account)
        self.ambiguities = AmbiguityRepo(self.account)
        self.sync_settings = SettingsRepo(self.account)
        self.runs = RunRepo(self.account)
        self.scopes = ScopeLocks(self.account)
        self.leases = LeaseStore(self.account)
        self.delta = DeltaState(self.account)
        self.queue = SyncQueue(self.account)
        self.brakes = BrakeState(self.account)
        self.secure_scores = SecureScoreHistory(self.account)
        self.licenses = LicenseUsageRepo(self.account)

    @property
    def graph(self) -> GraphGateway:
        """Graph is built on first use: mapping and history calls work without Graph credentials."""
        if self._graph is None:
            factory = self.graph_factory or (lambda: default_graph(self.settings))
            self._graph = factory()
        return self._graph

    async def aclose(self) -> None:
        if self._graph is not None:
            await self._graph.aclose()
        await self.account.aclose()


def default_graph(settings: Settings) -> GraphGateway:
    return GraphGateway(build_credential(settings), settings.graph_base_url, new_http_client(settings.graph_base_url))


def default_psa(settings: Settings, account: StorageAccount) -> PsaConnector:
    if settings.psa_provider is PsaProvider.DIRECTORY:
        return TableDirectory(account)
    raise ConfigError(f"PSA_PROVIDER {settings.psa_provider!r} has no connector yet")


def build_app(settings: Settings | None = None) -> App:
    settings = settings or load_settings()
    account = StorageAccount.from_settings(settings)
    return App(settings=settings, account=account, psa=default_psa(settings, account))


_app: App | None = None
_ensured = False
_lock = asyncio.Lock()


async def get_app() -> App:
    """The process's App, built and its tables ensured on first use."""
    global _app, _ensured
    async with _lock:
        if _app is None:
            _app = build_app()
        if not _ensured:
            await _app.account.ensure()
            _ensured = True
        return _app


def set_app(app: App | None, *, ensured: bool = True) -> None:
    """Install an App (tests, the CLI's simulation); None resets to lazy building."""
    global _app, _ensured
    _app, _ensured = app, ensured if app is not None else False
