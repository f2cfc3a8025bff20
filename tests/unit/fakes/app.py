"""`fake_app`: an `App` of in-memory fakes, built with App's own constructor (the real wiring,
`shared.bootstrap.build_app`, is for real adapters). Nothing in it touches storage or the network."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from shared.config import Settings, load_settings
from shared.service.app import App
from tests.unit.fakes.graph import FakeGraph
from tests.unit.fakes.psa import MemoryPsa
from tests.unit.fakes.stores import (
    FakeAmbiguityStore,
    FakeCursorStore,
    FakeLeaseStore,
    FakeLicenseUsageStore,
    FakeLinkStore,
    FakeMappingStore,
    FakeRunStore,
    FakeScopeLocks,
    FakeSecureScoreStore,
    FakeSyncSettingsStore,
    FakeTenantStore,
    FakeWebhookReceipts,
    FakeWorkQueue,
)

__all__ = ["FakeClock", "fake", "fake_app", "unit_settings"]

START = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)
F = TypeVar("F")


class FakeClock:
    """A clock that moves only when told."""

    def __init__(self, now: datetime = START) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> datetime:
        self.now += delta
        return self.now


def unit_settings(**values: object) -> Settings:
    """App settings for unit tests: no storage account, a Graph base URL nothing answers."""
    return load_settings(GRAPH_BASE_URL="https://graph.fake/v1.0", **values)


def fake_app(*, graph: FakeGraph | None = None, **overrides: Any) -> App:
    """An App whose every port is a fresh fake; `overrides` replace any of App's fields by name
    (`psa=MemoryPsa(bulk=True)`, `clock=FakeClock()`, `settings=unit_settings(...)`)."""
    the_graph = graph or FakeGraph()
    fields: dict[str, Any] = {
        "settings": unit_settings(),
        "psa": MemoryPsa(),
        "tenants": FakeTenantStore(),
        "mappings": FakeMappingStore(),
        "links": FakeLinkStore(),
        "ambiguities": FakeAmbiguityStore(),
        "sync_settings": FakeSyncSettingsStore(),
        "runs": FakeRunStore(),
        "scopes": FakeScopeLocks(),
        "leases": FakeLeaseStore(),
        "cursors": FakeCursorStore(),
        "queue": FakeWorkQueue(),
        "secure_scores": FakeSecureScoreStore(),
        "licenses": FakeLicenseUsageStore(),
        "webhook_receipts": FakeWebhookReceipts(),
        "graph_factory": lambda: the_graph,
        "clock": FakeClock(),
    }
    unknown = set(overrides) - {f.name for f in dataclasses.fields(App)}
    if unknown:
        raise TypeError(f"fake_app: App has no field {', '.join(sorted(unknown))}")
    return App(**(fields | overrides))


def fake(port: object, kind: type[F]) -> F:
    """The fake behind one of an App's ports, typed: `fake(app.queue, FakeWorkQueue).sent`."""
    assert isinstance(port, kind), f"{type(port).__name__} is not a {kind.__name__}"
    return port
