"""A world for the crash matrix and the soak: the simulated environment (Azurite, the Graph simulator)
with the PSA behind the connector under test, every port routed through an `Injector`, the tenants
mapped, and `sync()` that runs one run through the real queue and checks it (`check_run`)."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from typing import Any

from shared.config import load_settings
from shared.devtools.counting import CountingConnector
from shared.devtools.environment import SimulatedEnvironment, simulated_environment
from shared.devtools.psa_fakes import AlgaFake, PsaFake, SyncroFake
from shared.devtools.simulator import Scenario
from shared.errors import PsaRefused
from shared.models import ContactFields, Mapping, MappingStatus, RunType, Trigger
from shared.psa.port import PsaConnector
from shared.psa.registry import build_connector
from shared.service.runs import start_run
from tests.integration.crash_support import (
    Injector,
    OneByOne,
    RunCheck,
    all_contacts,
    check_run,
    crash_driver,
    drain,
    wrap_app,
)
from tests.integration.helpers import DANA, GREENLEAF, NORTHSTAR, PIONEER, PRIYA
from tests.integration.psa_http import FAST_RETRIES

__all__ = ["ALL_CONNECTORS", "CONNECTORS", "UNREACHABLE", "CrashWorld", "crash_world", "northwind_changes"]

# The connectors the suites can run against: the built-in directory in bulk, the same one call per
# contact and action as a REST PSA takes them, and the REST connectors against their vendors' API fakes.
# CI runs the directory and the REST connectors; CRASH_CONNECTORS (comma-separated) picks others.
ALL_CONNECTORS = ["directory", "directory-one-by-one", "syncro", "alga"]
CONNECTORS = [c for c in os.environ.get("CRASH_CONNECTORS", "directory,syncro,alga").split(",") if c in ALL_CONNECTORS]
DANA_MAIL = "dana.cho@northstaraccounting.example"
NORTHWIND_MAPPINGS = {GREENLEAF: "c-greenleaf", NORTHSTAR: "c-northstar", PIONEER: "c-pioneer"}


@dataclass
class CrashWorld:
    env: SimulatedEnvironment
    injector: Injector
    counting: CountingConnector  # what reached the PSA
    psa: PsaConnector  # the connector itself, read without counting
    tenants: list[str]
    raw: dict[str, Any]  # the app's ports past the injector

    async def sync(self, *, initial: bool = False, limit: float = 120.0, **driver: Any) -> RunCheck:
        """One run, as the timer starts it (incremental) or an initial run, drained to its end through
        the real queue with the host's retries; then checked."""
        app = self.env.app
        before = await all_contacts(self.psa)
        writes = self.counting.writes
        run_type, trigger = (RunType.INITIAL, Trigger.MANUAL) if initial else (RunType.ALL_TENANTS, Trigger.TIMER)
        run, started = await start_run(app, run_type, trigger)
        assert started, f"joined run {run.run_id} instead of starting one"
        await drain(crash_driver(app, self.env.account, **driver), self.raw["runs"], run.run_id, limit=limit)
        self.injector.blip_left = 0  # a blip still going ends with the run
        after = await all_contacts(self.psa)
        return await check_run(app, run.run_id, before=before, after=after, psa_writes=self.counting.writes - writes)

    async def leases_left(self) -> list[str]:
        return [owner for t in self.tenants if (owner := await self.raw["leases"].holder(t)) is not None]


@asynccontextmanager
async def crash_world(
    scenario: Scenario, connector: str, mappings: dict[str, str] | None = None
) -> AsyncIterator[CrashWorld]:
    async with simulated_environment(scenario) as env, AsyncExitStack() as stack:
        app = env.app
        tenants = dict(mappings or NORTHWIND_MAPPINGS)
        if connector == "directory":
            counting = env.psa
        elif connector == "directory-one-by-one":
            counting = app.psa = OneByOne(env.directory)  # type: ignore[assignment]
        elif connector in REST_FAKES:
            rest = await stack.enter_async_context(_rest_connector(connector))
            ids = await _seed(rest, scenario)
            tenants = {tenant_id: ids[client_id] for tenant_id, client_id in tenants.items()}
            counting = app.psa = CountingConnector(rest)  # type: ignore[assignment]
        else:
            raise ValueError(f"no connector {connector!r} for the crash suites")
        for tenant_id, client_id in tenants.items():
            await app.mappings.save(Mapping(tenant_id=tenant_id, status=MappingStatus.CONFIRMED, client_id=client_id))
            await app.mappings.claim_client(client_id, tenant_id)
        injector = Injector()
        raw = wrap_app(app, injector)  # the handlers get this app (crash_driver), so worlds can run at once
        yield CrashWorld(env, injector, counting, counting.inner, list(tenants), raw)


# Points a connector never reaches on northwind: its two contacts sharing Jordan's address are an
# ambiguity only where a contact keeps more than one address (Syncro does not; Alga holds an email once).
UNREACHABLE = {"syncro": {"ambiguity-save"}, "alga": {"ambiguity-save"}}
REST_FAKES: dict[str, Callable[[], PsaFake]] = {
    # No rate limits: these suites are about crashes (the connectors' pacing has tests of its own).
    "syncro": lambda: SyncroFake(rate_limit=None),
    "alga": lambda: AlgaFake(burst=None),
}


@asynccontextmanager
async def _rest_connector(vendor: str) -> AsyncIterator[PsaConnector]:
    """The vendor's connector against its API fake, built by the registry as the app builds it; the
    fake checks every request against the vendor's spec, and nothing may be deleted."""
    with REST_FAKES[vendor]() as fake:
        conn: dict[str, Any] = {"base_url": fake.base_url, "api_key": fake.api_key, **FAST_RETRIES}
        if vendor == "alga":
            conn["tenant_id"] = fake.tenant
        settings = load_settings(PSA_PROVIDER=vendor, PSA_MAX_INSTANCES="1", **{f"PSA_{vendor.upper()}": conn})
        connector = build_connector(settings)
        try:
            yield connector
        finally:
            await connector.aclose()  # type: ignore[attr-defined]
        fake.assert_conformant()
        assert fake.deletes == [], "nothing is ever deleted in a PSA"


async def _seed(psa: PsaConnector, scenario: Scenario) -> dict[str, str]:
    """The scenario's clients and contacts made through the connector's own port (the vendor gives
    the ids); answers each scenario client's id in the PSA."""
    ids: dict[str, str] = {}
    for client in scenario.psa.clients:
        made = await psa.create_client(client.name, website=client.website, domains=list(client.domains))
        ids[client.id] = made.id
    for contact in scenario.psa.contacts:
        fields = ContactFields.model_validate(contact.model_dump(include=set(ContactFields.model_fields)))
        try:
            made_contact = await psa.create_contact(ids[contact.client_id], fields, entra_user_id="")
        except PsaRefused:
            continue  # a PSA that holds an email once (Alga) takes the first of two contacts sharing it

        if not contact.active:
            await psa.set_contact_active(ids[contact.client_id], made_contact.id, False, contact.inactive_reason)
    return ids


def northwind_changes() -> list[dict[str, Any]]:
    """Entra changes between the matrix's two runs: a new title (a field update), a disable (an
    inactivation), a new user (a create) and an alias."""
    return [
        {"op": "update", "tenantId": NORTHSTAR, "userId": DANA, "set": {"jobTitle": "Senior Partner"}},
        {"op": "disable", "tenantId": GREENLEAF, "userId": PRIYA},
        {
            "op": "add",
            "tenantId": PIONEER,
            "user": {
                "id": "0e7c1f0a-5b6d-4c1e-9a77-3c2d1b0a9f10",
                "displayName": "Rowan Vale",
                "givenName": "Rowan",
                "surname": "Vale",
                "mail": "rowan.vale@pioneerlegal.example",
                "userPrincipalName": "rowan.vale@pioneerlegal.example",
                "userType": "Member",
                "accountEnabled": True,
            },
        },
        {
            "op": "update",
            "tenantId": NORTHSTAR,
            "userId": DANA,
            "set": {"proxyAddresses": [f"SMTP:{DANA_MAIL}", "smtp:dana@northstaraccounting.example"]},
        },
    ]
