"""/api/ambiguities and approve-inactivations end to end on northwind (SYNC_RULES R6, R5.5)."""

from __future__ import annotations

from typing import Any

import pytest

from shared.devtools.environment import SimulatedEnvironment
from tests.e2e.http_support import Reply, call, queued_messages
from tests.integration.helpers import DANA, GREENLEAF, JORDAN, NORTHSTAR, drain, map_northwind

API = "/api/"


async def sync(env: SimulatedEnvironment, body: dict[str, Any]) -> dict[str, Any]:
    """Start a run over HTTP, drain the queue with the real worker, read the run back over HTTP."""
    started = await call("POST", API + "runs", body=body)
    assert started.status == 202, started.json
    await drain(env, started.json["runId"])
    reply = await call("GET", API + "runs/" + started.json["runId"])
    run: dict[str, Any] = reply.json
    return run


def outcome(run: dict[str, Any], tenant_id: str, user_id: str) -> dict[str, Any]:
    tenant = next(t for t in run["tenants"] if t["tenantId"] == tenant_id)
    found: dict[str, Any] = next(u for u in tenant["users"] if u["userId"] == user_id)
    return found


async def resolve(body: dict[str, Any], tenant_id: str = GREENLEAF, user_id: str = JORDAN) -> Reply:
    return await call("POST", f"{API}ambiguities/{tenant_id}/{user_id}", body=body)


def approve(tenant_id: str) -> str:
    return f"{API}tenants/{tenant_id}/approve-inactivations"


async def listed(status: str | None = None) -> Reply:
    return await call("GET", API + "ambiguities", params={"status": status} if status else None)


@pytest.fixture
async def initial(env: SimulatedEnvironment) -> SimulatedEnvironment:
    await map_northwind(env)
    await sync(env, {"type": "initial"})
    return env


async def test_r3_3_after_the_initial_run_jordan_lee_is_open_with_both_candidates(
    initial: SimulatedEnvironment,
) -> None:
    open_items = await listed("open")
    assert open_items.status == 200
    assert [(a["tenantId"], a["userId"], a["status"]) for a in open_items.json] == [(GREENLEAF, JORDAN, "open")]
    assert sorted(open_items.json[0]["candidateContactIds"]) == ["k-gl-1", "k-gl-2"]
    assert (await listed()).json == open_items.json  # default: every status
    assert (await listed("resolved")).json == []
    assert (await listed("dismissed")).json == []

    bad = await listed("closed")
    assert bad.status == 400
    assert bad.error["field"] == "status"


async def test_r6_2_resolving_to_a_contact_of_another_client_is_409_and_changes_nothing(
    initial: SimulatedEnvironment,
) -> None:
    writes = initial.psa.writes
    reply = await resolve({"action": "existing", "contactId": "k-bb-1"})  # Bluebird's Jordan Lee

    assert reply.status == 409
    assert "k-bb-1" in reply.error["message"]
    assert initial.psa.writes == writes
    assert [a["userId"] for a in (await listed("open")).json] == [JORDAN]


async def test_r6_2_resolved_to_an_existing_contact_is_linked_and_not_queued_again(
    initial: SimulatedEnvironment,
) -> None:
    reply = await resolve({"action": "existing", "contactId": "k-gl-1", "resolvedBy": "dana@msp.example"})

    assert reply.status == 200
    assert (reply.json["status"], reply.json["contactId"], reply.json["resolvedBy"]) == (
        "resolved",
        "k-gl-1",
        "admin@msp.example (for dana@msp.example)",  # the signed-in operator, on whose behalf
    )
    assert (await initial.app.links.get(GREENLEAF, JORDAN)) is not None
    assert (await resolve({"action": "existing", "contactId": "k-gl-1"})).status == 409  # settled already

    run = await sync(initial, {"type": "all-tenants"})
    jordan = outcome(run, GREENLEAF, JORDAN)
    assert (jordan["outcome"], jordan["contactId"]) == ("unchanged", "k-gl-1")
    assert (await listed("open")).json == []


async def test_r6_2_a_dismissed_ambiguity_is_never_queued_again(initial: SimulatedEnvironment) -> None:
    reply = await resolve({"action": "dismiss"})
    assert reply.status == 200
    assert reply.json["status"] == "dismissed"

    for _ in range(2):
        run = await sync(initial, {"type": "all-tenants"})
        assert outcome(run, GREENLEAF, JORDAN)["outcome"] == "ignored"
    assert [a["status"] for a in (await listed()).json] == ["dismissed"]


async def test_resolve_bodies_and_unknown_ambiguities(initial: SimulatedEnvironment) -> None:
    missing = await resolve({"action": "existing"})
    assert missing.status == 400
    assert "contactId" in missing.error["message"]
    assert (await resolve({"action": "merge"})).status == 400
    assert (await resolve({"action": "new"}, user_id="00000000-0000-0000-0000-000000000000")).status == 404


async def test_r5_5_approving_a_tenant_with_nothing_held_is_409_and_starts_nothing(
    initial: SimulatedEnvironment,
) -> None:
    before = await queued_messages(initial.app)
    reply = await call("POST", approve(GREENLEAF))
    assert reply.status == 409
    assert await queued_messages(initial.app) == before == []


async def test_r5_5_approving_held_inactivations_starts_a_run_that_applies_them(initial: SimulatedEnvironment) -> None:
    brake = await call(
        "PUT", API + "settings/safety-brake", body={"minContacts": 0, "percent": 0}, params={"tenantId": NORTHSTAR}
    )
    assert brake.status == 200
    initial.simulator.apply({"op": "disable", "tenantId": NORTHSTAR, "userId": DANA})
    held = await sync(initial, {"type": "all-tenants"})
    assert held["status"] == "partial"
    assert next(t for t in held["tenants"] if t["tenantId"] == NORTHSTAR)["status"] == "held"

    reply = await call("POST", approve(NORTHSTAR), body={"approvedBy": "lead@msp.example"})

    assert reply.status == 202
    assert (reply.json["type"], reply.json["tenantId"], reply.json["brakeReleased"]) == ("tenant", NORTHSTAR, True)
    assert reply.json["requestedBy"] == "admin@msp.example (for lead@msp.example)"
    await drain(initial, reply.json["runId"])
    approved = await call("GET", API + "runs/" + reply.json["runId"])
    assert outcome(approved.json, NORTHSTAR, DANA)["outcome"] == "inactivated"
    assert (await call("POST", approve(NORTHSTAR))).status == 409
