"""Hand-written in-memory fakes of every port the services take (`shared.service.ports`, the PSA's
`shared.psa.port`), and `fake_app` to build an `App` of them: service unit tests run on these, with no
storage account, no Graph and no PSA. Each module checks its fakes against the Protocols at type-check
time (`.venv/bin/mypy tests/unit/fakes`)."""

from tests.unit.fakes.app import FakeClock, fake, fake_app, unit_settings
from tests.unit.fakes.graph import FakeGraph, FakeTenant
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

__all__ = [
    "FakeAmbiguityStore",
    "FakeClock",
    "FakeCursorStore",
    "FakeGraph",
    "FakeLeaseStore",
    "FakeLicenseUsageStore",
    "FakeLinkStore",
    "FakeMappingStore",
    "FakeRunStore",
    "FakeScopeLocks",
    "FakeSecureScoreStore",
    "FakeSyncSettingsStore",
    "FakeTenant",
    "FakeTenantStore",
    "FakeWebhookReceipts",
    "FakeWorkQueue",
    "MemoryPsa",
    "fake",
    "fake_app",
    "unit_settings",
]
