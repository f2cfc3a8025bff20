"""A whole app on this machine: the Graph simulator serving a scenario, fresh Azurite tables and
queues of its own, and the built-in PSA directory loaded with the scenario's clients and contacts."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import cast

from shared.bootstrap import App, build_app
from shared.config import DEV_STORAGE, Settings, load_settings
from shared.devtools.counting import CountingConnector
from shared.devtools.simulator import GraphSimulator, Scenario
from shared.models import PsaClient, PsaContact
from shared.psa.directory import TableDirectory
from shared.store.account import StorageAccount, StorageHooks

__all__ = ["SimulatedEnvironment", "simulated_environment", "simulator_settings"]


@dataclass
class SimulatedEnvironment:
    app: App
    simulator: GraphSimulator
    directory: TableDirectory
    psa: CountingConnector
    account: StorageAccount


@asynccontextmanager
async def simulated_environment(
    scenario: Scenario,
    *,
    storage: str | None = None,
    keep: bool = False,
    hooks: StorageHooks | None = None,
    prefix: str | None = None,
) -> AsyncIterator[SimulatedEnvironment]:
    """Start everything for `scenario`; tables and queues are dropped afterwards unless `keep`.
    `hooks` see every storage request (the bench counts them)."""
    simulator = GraphSimulator(scenario).start()
    prefix = prefix or "sim" + secrets.token_hex(4)
    try:
        settings = simulator_settings(simulator, storage=storage, prefix=prefix)
        account = StorageAccount.from_settings(settings, hooks=hooks)
        app = build_app(settings, account=account, wrap_psa=CountingConnector)
        psa = cast(CountingConnector, app.psa)
        directory = cast(TableDirectory, psa.inner)
        try:
            await app.ensure()
            await _seed(app, directory, scenario)
            yield SimulatedEnvironment(app=app, simulator=simulator, directory=directory, psa=psa, account=account)
        finally:
            try:
                if not keep:
                    await account.drop()
            finally:
                await app.aclose()  # even when storage is unreachable: no unclosed sessions at exit
    finally:
        simulator.stop()


def simulator_settings(simulator: GraphSimulator, *, storage: str | None, prefix: str) -> Settings:
    """App settings that point the app at the simulator and at tables and queues under `prefix`."""
    return load_settings(
        AzureWebJobsStorage=storage or load_settings().storage_connection or DEV_STORAGE,
        STORAGE_NAME_PREFIX=prefix,
        PARTNER_TENANT_ID=simulator.partner_tenant_id,
        GRAPH_CLIENT_ID=simulator.client_id,
        GRAPH_CLIENT_SECRET=simulator.client_secret,
        GRAPH_AUTHORITY=simulator.authority,
        GRAPH_BASE_URL=simulator.graph_url,
        GRAPH_CA_BUNDLE=simulator.ca_path,
        DISCOVERY_MODE="gdap",
        CONSENT_STATE_SECRET=secrets.token_urlsafe(32),  # signs the console's admin-consent links
    )


async def _seed(app: App, directory: TableDirectory, scenario: Scenario) -> None:
    # The scenario's clients, contacts and overrides are the app's own models (SCENARIOS.md's shapes).
    await directory.put_clients(list[PsaClient](scenario.psa.clients))
    await directory.put_contacts(list[PsaContact](scenario.psa.contacts))
    if scenario.settings is not None:
        await app.sync_settings.save_global(scenario.settings.global_settings())
        for tenant_id, overrides in scenario.settings.tenants.items():
            await app.sync_settings.save_overrides(tenant_id, overrides.overrides())
