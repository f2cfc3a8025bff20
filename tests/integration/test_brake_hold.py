"""The safety brake's hold lives in one place, the tenant's cursor (R5.5): the run that held is kept
there, approval reads it, and the approving run clears it."""

from __future__ import annotations

import pytest

from shared.devtools.environment import SimulatedEnvironment
from shared.errors import Conflict
from shared.models import Outcome, RunType, SafetyBrake, TenantStatus
from shared.service.ambiguities import approve_inactivations
from shared.service.runs import run_details
from tests.integration.helpers import DANA, NORTHSTAR, drain, map_northwind, run_sync


async def test_r5_5_the_cursor_keeps_the_run_that_held_and_the_approving_run_clears_it(
    env: SimulatedEnvironment,
) -> None:
    await map_northwind(env)
    await run_sync(env, RunType.INITIAL)
    with pytest.raises(Conflict):
        await approve_inactivations(env.app, NORTHSTAR)  # nothing held yet
    await env.app.sync_settings.update_overrides(
        NORTHSTAR, lambda o: o.model_copy(update={"safety_brake": SafetyBrake(min_contacts=0, percent=0)})
    )
    env.simulator.apply({"op": "disable", "tenantId": NORTHSTAR, "userId": DANA})

    held = await run_sync(env)
    cursor = await env.app.cursors.get(NORTHSTAR)

    assert next(t for t in held.tenants if t.tenant_id == NORTHSTAR).status is TenantStatus.HELD
    assert cursor is not None and cursor.held_by_run == held.run_id

    approval = await approve_inactivations(env.app, NORTHSTAR, by="lead@msp.example")
    await drain(env, approval.run_id)
    approved = await run_details(env.app, approval.run_id)
    after = await env.app.cursors.get(NORTHSTAR)

    assert (approved.brake_released, approved.requested_by) == (True, "lead@msp.example")
    northstar = next(t for t in approved.tenants if t.tenant_id == NORTHSTAR)
    assert next(u for u in northstar.users if u.user_id == DANA).outcome is Outcome.INACTIVATED
    assert after is not None and after.held_by_run is None
    with pytest.raises(Conflict):
        await approve_inactivations(env.app, NORTHSTAR)


async def test_r7_4_a_dry_run_that_would_hold_leaves_the_cursor_unheld(env: SimulatedEnvironment) -> None:
    await map_northwind(env)
    await run_sync(env, RunType.INITIAL)
    await env.app.sync_settings.update_overrides(
        NORTHSTAR, lambda o: o.model_copy(update={"safety_brake": SafetyBrake(min_contacts=0, percent=0)})
    )
    env.simulator.apply({"op": "disable", "tenantId": NORTHSTAR, "userId": DANA})

    dry = await run_sync(env, dry_run=True)
    cursor = await env.app.cursors.get(NORTHSTAR)

    assert next(t for t in dry.tenants if t.tenant_id == NORTHSTAR).status is TenantStatus.HELD
    assert cursor is not None and cursor.held_by_run is None
    with pytest.raises(Conflict):
        await approve_inactivations(env.app, NORTHSTAR)
