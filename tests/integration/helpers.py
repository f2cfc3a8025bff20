"""Helpers for tests that run syncs through the real queue and handlers."""

from __future__ import annotations

from shared.devtools.driver import QueueDriver
from shared.devtools.environment import SimulatedEnvironment
from shared.models import RunRecord, RunStatus, RunType, Trigger
from shared.service.discovery import discover
from shared.service.mappings import Decision, decide, refresh_suggestions
from shared.service.runs import run_details, start_run

GREENLEAF = "d4db95b7-337d-540d-8a9f-13b6f9b2058a"
NORTHSTAR = "d45acb64-8bba-5d09-932e-361164bfb6b2"
PIONEER = "7893f28e-f7e8-508b-beeb-55b763029caf"
HARBOR = "fdd5157a-662f-5456-b42f-4ae5fc274985"
JORDAN = "c6bf3e50-7be5-5be0-8e91-d6bbad13b4d0"
PRIYA = "4f1ef08e-3883-5b5a-9263-1360474847ee"
SAM = "392cc62a-b42d-5de6-8f51-1fde2221d7f7"
DANA = "99e1a9b4-8743-516b-913c-0d458e0871b1"


async def map_northwind(env: SimulatedEnvironment) -> None:
    """Discover, suggest, and apply the northwind scenario's decisions (a decision's client id is the
    scenario's: `env.ids`, where the environment has one, gives the PSA's own)."""
    await discover(env.app)
    await refresh_suggestions(env.app)
    ids = getattr(env, "ids", None)  # the bench's environment has none: its PSA is the directory
    for decision in env.simulator.scenario.decisions:
        client_id = decision.client_id
        if client_id and ids is not None:
            client_id = ids.psa("client", client_id)
        await decide(env.app, decision.tenant_id, Decision(decision.action), client_id=client_id)


def driver(env: SimulatedEnvironment) -> QueueDriver:
    from functions.sync_worker import tenant_poison, tenant_worker

    return QueueDriver(
        env.account, tenant_worker.build().get_user_function(), tenant_poison.build().get_user_function()
    )


async def run_sync(
    env: SimulatedEnvironment,
    run_type: RunType = RunType.ALL_TENANTS,
    *,
    dry_run: bool = False,
    tenant_id: str | None = None,
    queue: QueueDriver | None = None,
) -> RunRecord:
    run, _ = await start_run(env.app, run_type, Trigger.MANUAL, dry_run=dry_run, tenant_id=tenant_id)
    await drain(env, run.run_id, queue)
    return await run_details(env.app, run.run_id)


async def drain(env: SimulatedEnvironment, run_id: str, queue: QueueDriver | None = None) -> None:
    async def finished() -> bool:
        run = await env.app.runs.get(run_id)
        return run is not None and run.status in (RunStatus.COMPLETED, RunStatus.PARTIAL, RunStatus.FAILED)

    await (queue or driver(env)).drain(finished, limit_seconds=120)
