"""A world for the crash matrix and the soak: the simulated environment (Azurite, the Graph simulator)
with the PSA behind the connector under test, every port routed through an `Injector`, the tenants
mapped, and `sync()` that runs one run through the real queue and checks it (`check_run`)."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import pytest

from shared.devtools.counting import CountingConnector
from shared.devtools.environment import SimulatedEnvironment, simulated_environment
from shared.devtools.simulator import Scenario
from shared.models import Mapping, MappingStatus, RunType, Trigger
from shared.psa.autotask import build as autotask_build
from shared.psa.building import limiter_for
from shared.psa.http import Limiter, Pace
from shared.psa.port import PsaConnector
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
from tests.integration.psa_world import FAST_PACE

__all__ = [
    "ALL_CONNECTORS",
    "CI_CONNECTORS",
    "CONNECTORS",
    "UNREACHABLE",
    "CrashWorld",
    "crash_world",
    "northwind_changes",
]

# The connectors the suites can run against: the built-in directory in bulk, the same one call per
# contact and action as a REST PSA takes them, and the REST connectors against their vendors' API fakes.
# CI runs the directory and the REST connectors; CRASH_CONNECTORS (comma-separated) picks others.
# No rate limits in the fakes: these suites are about crashes (the connectors' pacing has tests of its own).
REST_FAKES: dict[str, dict[str, Any]] = {
    "syncro": {"rate_limit": None},
    "alga": {"burst": None},
    "halopsa": {"rate_limit": None},
    "connectwise": {"rate_limit": None},
    "autotask": {"hourly_limit": 10**9},
}
ALL_CONNECTORS = ["directory", "directory-one-by-one", *REST_FAKES]
CI_CONNECTORS = ",".join(c for c in ALL_CONNECTORS if c != "directory-one-by-one")
CONNECTORS = [c for c in os.environ.get("CRASH_CONNECTORS", CI_CONNECTORS).split(",") if c in ALL_CONNECTORS]
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

    async def sync(
        self,
        *,
        initial: bool = False,
        limit: float = 120.0,
        psa_faults: Callable[[], object] | None = None,
        **driver: Any,
    ) -> RunCheck:
        """One run, as the timer starts it (incremental) or an initial run, drained to its end through
        the real queue with the host's retries; then checked. `psa_faults` arms faults at the vendor's
        fake once the test's own read of the PSA is done; they are cleared before its read after."""
        app = self.env.app
        before = await all_contacts(self.psa)
        if psa_faults is not None:
            psa_faults()
        writes = self.counting.writes
        run_type, trigger = (RunType.INITIAL, Trigger.MANUAL) if initial else (RunType.ALL_TENANTS, Trigger.TIMER)
        run, started = await start_run(app, run_type, trigger)
        assert started, f"joined run {run.run_id} instead of starting one"
        await drain(crash_driver(app, self.env.account, **driver), self.raw["runs"], run.run_id, limit=limit)
        self.injector.blip_left = 0  # a blip still going ends with the run
        if self.env.fake is not None:
            self.env.fake.clear_faults()  # the test's reads are no fault's target
        after = await all_contacts(self.psa)
        return await check_run(app, run.run_id, before=before, after=after, psa_writes=self.counting.writes - writes)

    async def leases_left(self) -> list[str]:
        return [owner for t in self.tenants if (owner := await self.raw["leases"].holder(t)) is not None]


@asynccontextmanager
async def crash_world(
    scenario: Scenario, connector: str, mappings: dict[str, str] | None = None
) -> AsyncIterator[CrashWorld]:
    """The world for `connector`; a vendor's fake is loaded with the scenario in its own shapes and
    ids, checked against the vendor's spec at the end, and nothing in it may have been deleted."""
    vendor = connector if connector in REST_FAKES else "directory"
    if vendor == "directory" and connector not in ("directory", "directory-one-by-one"):
        raise ValueError(f"no connector {connector!r} for the crash suites")
    options = REST_FAKES.get(connector)
    settings = FAST_RETRIES | FAST_PACE if options is not None else None
    async with simulated_environment(scenario, psa=vendor, psa_settings=settings, fake_options=options) as env:
        app = env.app
        counting = env.psa
        if connector == "directory-one-by-one":
            counting = app.psa = OneByOne(env.directory)
        tenants = {t: env.ids.psa("client", c) for t, c in (mappings or NORTHWIND_MAPPINGS).items()}
        for tenant_id, client_id in tenants.items():
            await app.mappings.save(Mapping(tenant_id=tenant_id, status=MappingStatus.CONFIRMED, client_id=client_id))
            await app.mappings.claim_client(client_id, tenant_id)
        injector = Injector()
        raw = wrap_app(app, injector)  # the handlers get this app (crash_driver), so worlds can run at once
        yield CrashWorld(env, injector, counting, counting.inner, list(tenants), raw)
        if env.fake is not None:
            env.fake.assert_conformant()
            assert env.fake.deletes == [], "nothing is ever deleted in a PSA"


# Points a connector never reaches on northwind: its two contacts sharing Jordan's address are an
# ambiguity only where a contact keeps more than one address (Syncro does not; Alga holds an email once).
UNREACHABLE = {"syncro": {"ambiguity-save"}, "alga": {"ambiguity-save"}}


def unpaced_autotask(monkeypatch: pytest.MonkeyPatch) -> None:
    """Autotask's own pacing out of the way, as FAST_PACE does for the other vendors (its budget cannot
    be set above the database's 10,000 an hour: 2.5 requests a second, shared by every world of the
    process). These suites are about crashes; the pacing has tests of its own."""
    real = limiter_for  # the one the builder imported
    fast = Pace(per_minute=600_000, burst=1_000)

    def unpaced(vendor: str, account: str, pace: Pace, budget: object = None) -> Limiter:
        return real(vendor, f"{account} unpaced", fast)  # no shared budget either: this process alone

    monkeypatch.setattr(autotask_build, "limiter_for", unpaced)


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
