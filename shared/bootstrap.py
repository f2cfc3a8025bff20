"""The one wiring: `build_app` is the only place adapters are built. The Functions app, the CLI,
`simulate`, `bench` and the integration tests all call it; they pass `overrides` for what they bring
themselves (a counting PSA, a clock, a Graph directory pointed at the simulator).

Nothing here runs at import time: the Functions host imports every blueprint to index it, and a
missing setting must fail the call that needs it, naming the setting, not the whole app.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from shared.config import Settings, load_settings
from shared.graph.client import GraphUserDirectory, new_http_client
from shared.graph.credentials import build_credential
from shared.psa.connectwise import ConnectWiseKeyFetcher
from shared.psa.port import PsaConnector
from shared.psa.registry import build_connector
from shared.service.app import App, utcnow
from shared.service.ports import RequestBudget
from shared.store.account import StorageAccount
from shared.store.ambiguities import TableAmbiguityStore
from shared.store.change_marks import TableChangeMarks
from shared.store.cursors import TableCursorStore
from shared.store.facts import TableSecureScoreStore
from shared.store.leases import TableLeaseStore
from shared.store.licenses import TableLicenseUsageStore
from shared.store.links import TableLinkStore
from shared.store.mappings import TableMappingStore
from shared.store.notify_queue import QueueNotifyQueue
from shared.store.queue import QueueWorkQueue
from shared.store.request_budget import TableRequestBudget
from shared.store.runs import TableRunStore
from shared.store.scope_locks import TableScopeLocks
from shared.store.settings_cache import CachedSyncSettingsStore
from shared.store.settings_repo import TableSyncSettingsStore
from shared.store.subscriptions import TableSubscriptionStore
from shared.store.tenants import TableTenantStore
from shared.store.webhook_receipts import TableWebhookReceipts

__all__ = ["App", "build_app", "get_app", "set_app", "utcnow"]


def build_app(
    settings: Settings | None = None,
    *,
    account: StorageAccount | None = None,
    wrap_psa: Callable[[PsaConnector], PsaConnector] | None = None,
    **overrides: Any,
) -> App:
    """Wire the app from `settings`. `account`: the storage account the table adapters share (built
    from the settings when not given); `wrap_psa`: wraps the configured connector (the dev tools count
    its calls); `overrides`: any `App` field by name (e.g. `psa=`, `clock=`, `graph_factory=`), used
    instead of the adapter this would build."""
    settings = settings or load_settings()
    unknown = set(overrides) - set(App.__dataclass_fields__)
    if unknown:
        raise TypeError(f"build_app got unknown overrides: {sorted(unknown)}")
    account = account or StorageAccount.from_settings(settings)
    parts: dict[str, Any] = {
        "settings": settings,
        "tenants": TableTenantStore(account),
        "mappings": TableMappingStore(account),
        "links": TableLinkStore(account),
        "ambiguities": TableAmbiguityStore(account),
        "sync_settings": CachedSyncSettingsStore(TableSyncSettingsStore(account)),
        "runs": TableRunStore(account),
        "scopes": TableScopeLocks(account),
        "leases": TableLeaseStore(account),
        "cursors": TableCursorStore(account),
        "queue": QueueWorkQueue(account),
        "secure_scores": TableSecureScoreStore(account),
        "licenses": TableLicenseUsageStore(account),
        "webhook_receipts": TableWebhookReceipts(account),
        "psa_budget": TableRequestBudget(account),
        "connectwise_keys": ConnectWiseKeyFetcher(),  # its HTTP client is made on first use
        "subscriptions": TableSubscriptionStore(account),
        "change_marks": TableChangeMarks(account),
        "notify_queue": QueueNotifyQueue(account),
        "graph_factory": lambda: default_graph(settings),
        "clock": utcnow,
        "ensure_storage": account.ensure,
        "storage": account,
    }
    parts |= overrides
    if "psa" not in parts:
        parts["psa"] = default_psa(settings, account, parts["psa_budget"])
    if wrap_psa is not None:
        parts["psa"] = wrap_psa(parts["psa"])
    app = App(**parts)
    for part in (app.psa, app.connectwise_keys):
        part_close = getattr(part, "aclose", None)
        if part_close is not None:
            app.closers.append(part_close)
    app.closers.insert(0, account.aclose)  # closed last: the PSA may still write to tables as it closes
    return app


def default_graph(settings: Settings) -> GraphUserDirectory:
    http = new_http_client(settings.graph_base_url)
    return GraphUserDirectory(build_credential(settings), settings.graph_base_url, http)


def default_psa(settings: Settings, account: StorageAccount, budget: RequestBudget | None) -> PsaConnector:
    # PSA_PROVIDER picks it (shared.psa.registry); its requests are paced by the budget every
    # instance shares in the storage account (shared.psa.http.shared_pacing), or without one
    # (`psa_budget=None`) by this process's 1/PSA_MAX_INSTANCES share.
    return build_connector(settings, account, budget=budget)


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
            await _app.ensure()
            _ensured = True
        return _app


def set_app(app: App | None, *, ensured: bool = True) -> None:
    """Install an App (tests, the CLI's simulation); None resets to lazy building."""
    global _app, _ensured
    _app, _ensured = app, ensured if app is not None else False
