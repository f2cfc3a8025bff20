"""Shared fixtures. Integration and e2e tests use Azurite (`make test` starts it) with tables and
queues under a prefix of their own, dropped afterwards."""

from __future__ import annotations

import os
import secrets
import socket
from collections.abc import AsyncIterator

import pytest
from hypothesis import settings as hypothesis_settings

from shared.bootstrap import App, build_app, set_app
from shared.config import DEV_STORAGE, load_settings
from shared.devtools import NORTHWIND
from shared.devtools.counting import CountingConnector
from shared.devtools.environment import SimulatedEnvironment, simulated_environment
from shared.devtools.simulator import Scenario, load_scenario

# The suites' shared checks live outside test modules: rewrite their asserts too, so a failure shows its values.
pytest.register_assert_rewrite("tests.e2e.simulate_psa_support", "tests.integration.connector_support")

# CI replays a fixed set of examples (a red build must be reproducible); locally every run explores anew.
hypothesis_settings.register_profile("ci", derandomize=True, deadline=None)
if os.environ.get("CI"):
    hypothesis_settings.load_profile("ci")


def azurite_running() -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", 10002)) == 0


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # Tests under integration/ and e2e/ need Azurite; say so plainly instead of timing out.
    if azurite_running():
        return
    skip = pytest.mark.skip(reason="Azurite is not running on 127.0.0.1:10002 (run `make test`)")
    for item in items:
        needs_storage = "/integration/" in str(item.path) or "/e2e/" in str(item.path)
        if needs_storage and item.get_closest_marker("no_azurite") is None:
            item.add_marker(skip)


@pytest.fixture
def northwind() -> Scenario:
    return load_scenario(NORTHWIND)


@pytest.fixture
async def app() -> AsyncIterator[App]:
    """An App on Azurite with fresh tables and queues and the built-in directory (no Graph)."""
    settings = load_settings(AzureWebJobsStorage=DEV_STORAGE, STORAGE_NAME_PREFIX="t" + secrets.token_hex(5))
    application = build_app(settings, wrap_psa=CountingConnector)
    await application.ensure()
    set_app(application)
    try:
        yield application
    finally:
        set_app(None)
        assert application.storage is not None
        await application.storage.drop()
        await application.aclose()


@pytest.fixture
async def env(northwind: Scenario) -> AsyncIterator[SimulatedEnvironment]:
    """The northwind scenario served by the Graph simulator, on fresh Azurite tables; the App installed."""
    async with simulated_environment(northwind) as environment:
        set_app(environment.app)
        try:
            yield environment
        finally:
            set_app(None)
