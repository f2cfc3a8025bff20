"""Bringing a served environment to the state an operator finds on an ordinary day, through the same
use cases the console calls (discovery, the scenario's decisions, a first sync through the queue)."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from shared.devtools import NORTHWIND
from shared.devtools.environment import SimulatedEnvironment
from shared.devtools.simulator import Scenario, parse_scenario
from shared.models import RunRecord, RunStatus, RunType, Trigger
from shared.service.discovery import discover
from shared.service.mappings import Decision, decide, refresh_suggestions
from shared.service.runs import run_details, start_run

__all__ = ["CONTOSO", "after_first_sync", "sync_and_wait", "with_a_tenant_without_gdap"]

CONTOSO = "5f0c6d3a-2b8e-4c1d-9a7e-3e6f1b2c4d5e"  # no GDAP relationship, and the app not consented yet

_FINAL = (RunStatus.COMPLETED, RunStatus.PARTIAL, RunStatus.FAILED)


async def sync_and_wait(
    env: SimulatedEnvironment, run_type: RunType, *, tenant_id: str | None = None, dry_run: bool = False
) -> RunRecord:
    """Start a run and wait while the server's queue worker processes it."""
    run, _ = await start_run(env.app, run_type, Trigger.MANUAL, tenant_id=tenant_id, dry_run=dry_run)
    for _ in range(600):
        current = await env.app.runs.get(run.run_id)
        if current is not None and current.status in _FINAL:
            return await run_details(env.app, run.run_id)
        await asyncio.sleep(0.1)
    raise TimeoutError(f"run {run.run_id} did not finish")


async def after_first_sync(env: SimulatedEnvironment) -> RunRecord:
    """Discovery, the scenario's mapping decisions, and the initial sync."""
    await discover(env.app)
    await refresh_suggestions(env.app)
    for decision in env.simulator.scenario.decisions:
        await decide(env.app, decision.tenant_id, Decision(decision.action), client_id=decision.client_id, by="test")
    return await sync_and_wait(env, RunType.INITIAL)


def with_a_tenant_without_gdap() -> Scenario:
    """The demo scenario plus Contoso Veterinary: no GDAP relationship and no consent until its
    administrator accepts the app's permissions, and a PSA client of the same domain."""
    data: dict[str, Any] = json.loads(NORTHWIND.read_text(encoding="utf-8"))
    data["tenants"].append(
        {
            "tenantId": CONTOSO,
            "displayName": "Contoso Veterinary",
            "relationship": "none",
            "consented": False,
            "premium": False,
            "verifiedDomains": [
                {"name": "contosovet.example", "isDefault": True, "isInitial": False},
                {"name": "contosovet.onmicrosoft.com", "isDefault": False, "isInitial": True},
            ],
            "users": [
                {
                    "id": "0b6f7c1e-5d2a-4e8b-9c3f-7a1d2e4b6c8d",
                    "displayName": "Riley Chen",
                    "givenName": "Riley",
                    "surname": "Chen",
                    "mail": "riley.chen@contosovet.example",
                    "userPrincipalName": "riley.chen@contosovet.example",
                    "accountEnabled": True,
                    "userType": "Member",
                    "jobTitle": "Practice Manager",
                }
            ],
        }
    )
    data["psa"]["clients"].append({"id": "c-contoso", "name": "Contoso Veterinary", "website": "contosovet.example"})
    return parse_scenario(data)
