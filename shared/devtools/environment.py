"""A whole app on this machine: the Graph simulator serving a scenario, fresh Azurite tables and
queues of its own, and the PSA loaded with the scenario's clients and contacts: the built-in directory
(`psa="directory"`, the default) or a vendor's API fake (`psa="syncro"`, `"alga"`) in the vendor's own
shapes and ids, with the app built by `build_app` and the vendor's connector pointed at the fake."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any, cast

from shared.bootstrap import App, build_app
from shared.config import DEV_STORAGE, Settings, load_settings
from shared.devtools.counting import CountingConnector
from shared.devtools.psa_fakes import PsaFake
from shared.devtools.psa_load import DIRECTORY, PSAS, Held, LoadedPsa, PsaIds, PsaTally, start_psa
from shared.devtools.simulator import GraphSimulator, Scenario
from shared.models import PsaClient, PsaContact
from shared.psa.directory import TableDirectory
from shared.psa.port import PsaConnector
from shared.store.account import StorageAccount, StorageHooks

__all__ = ["PSAS", "SimulatedEnvironment", "simulated_environment", "simulator_settings"]


@dataclass
class SimulatedEnvironment:
    """`psa` counts the calls the app makes on its connector (`connector`, the one `build_app` built);
    `vendor` is the vendor's loaded fake (None for the directory); `ids` maps the scenario's client and
    contact ids to the PSA's and back (the same ids for the directory)."""

    app: App
    simulator: GraphSimulator
    psa: CountingConnector
    account: StorageAccount
    vendor: LoadedPsa | None = None
    ids: PsaIds = field(default_factory=PsaIds)

    @property
    def psa_name(self) -> str:
        return self.vendor.name if self.vendor is not None else DIRECTORY

    @property
    def connector(self) -> PsaConnector:
        return self.psa.inner

    @property
    def directory(self) -> TableDirectory:
        """The built-in directory; a TypeError when the PSA is a vendor's (read `held()` instead)."""
        if not isinstance(self.psa.inner, TableDirectory):
            raise TypeError(f"the PSA here is {self.psa_name}, not the built-in directory")
        return self.psa.inner

    @property
    def fake(self) -> PsaFake | None:
        """The vendor's API fake (faults, request log, spec check), None for the directory."""
        return self.vendor.fake if self.vendor is not None else None

    async def held(self) -> Held:
        """The PSA's clients and contacts as it holds them, in the scenario's ids; no request reaches
        the vendor's API (the fake is read directly) nor the counts."""
        if self.vendor is not None:
            return self.vendor.held()
        clients = await self.directory.list_clients()
        contacts = [c for client in clients for c in await self.directory.list_contacts(client.id)]
        return Held(clients, contacts)

    def tally(self) -> PsaTally:
        """What the app asked of the PSA so far: the vendor's requests as its fake received them, or
        for the directory the calls on its connector (no throttle there)."""
        if self.vendor is not None:
            return self.vendor.tally()
        return PsaTally(requests=self.psa.calls, writes=self.psa.writes)


@asynccontextmanager
async def simulated_environment(
    scenario: Scenario,
    *,
    storage: str | None = None,
    keep: bool = False,
    hooks: StorageHooks | None = None,
    prefix: str | None = None,
    psa: str = DIRECTORY,
    psa_settings: Mapping[str, Any] | None = None,
    fake_options: Mapping[str, Any] | None = None,
) -> AsyncIterator[SimulatedEnvironment]:
    """Start everything for `scenario`; tables and queues are dropped afterwards unless `keep`.
    `hooks` see every storage request (the bench counts them). `psa`: one of `PSAS`; for a vendor,
    `psa_settings` go over its connector's settings (e.g. `{"rate_limit_per_minute": 6000}`) and
    `fake_options` to its fake (e.g. `{"page_size": 10}`)."""
    if psa not in PSAS:
        raise ValueError(f"no PSA {psa!r}; choose one of: {', '.join(PSAS)}")
    simulator = GraphSimulator(scenario).start()
    vendor: LoadedPsa | None = None
    try:
        if psa != DIRECTORY:
            vendor = start_psa(psa, scenario.psa, **dict(fake_options or {}))
        prefix = prefix or "sim" + secrets.token_hex(4)
        extra = vendor.settings(psa_settings) if vendor is not None else {"PSA_PROVIDER": DIRECTORY}
        settings = simulator_settings(simulator, storage=storage, prefix=prefix, extra=extra)
        account = StorageAccount.from_settings(settings, hooks=hooks)
        app = build_app(settings, account=account, wrap_psa=CountingConnector)
        counting = cast(CountingConnector, app.psa)
        env = SimulatedEnvironment(
            app=app, simulator=simulator, psa=counting, account=account, vendor=vendor, ids=_ids(vendor)
        )
        try:
            await app.ensure()
            await _seed(env, scenario)
            yield env
        finally:
            try:
                if not keep:
                    await account.drop()
            finally:
                await app.aclose()  # even when storage is unreachable: no unclosed sessions at exit (the PSA's too)
    finally:
        if vendor is not None:
            vendor.stop()
        simulator.stop()


def simulator_settings(
    simulator: GraphSimulator, *, storage: str | None, prefix: str, extra: Mapping[str, Any] | None = None
) -> Settings:
    """App settings that point the app at the simulator and at tables and queues under `prefix`;
    `extra` settings (by alias) over them, e.g. the PSA's."""
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
        **dict(extra or {}),
    )


def _ids(vendor: LoadedPsa | None) -> PsaIds:
    return vendor.ids if vendor is not None else PsaIds()


async def _seed(env: SimulatedEnvironment, scenario: Scenario) -> None:
    # The scenario's clients, contacts and overrides are the app's own models (SCENARIOS.md's shapes);
    # a vendor's fake was loaded in its own shapes when it started.
    if env.vendor is None:
        await env.directory.put_clients(list[PsaClient](scenario.psa.clients))
        await env.directory.put_contacts(list[PsaContact](scenario.psa.contacts))
    app = env.app
    if scenario.settings is not None:
        await app.sync_settings.save_global(scenario.settings.global_settings())
        for tenant_id, overrides in scenario.settings.tenants.items():
            await app.sync_settings.save_overrides(tenant_id, overrides.overrides())
