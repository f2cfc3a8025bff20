"""Who a decision is recorded as: the signed-in operator from App Service Authentication, not a name
the caller chose (a script may still say on whose behalf it acts)."""

from __future__ import annotations

from shared.devtools.environment import SimulatedEnvironment
from shared.service.discovery import discover
from shared.service.mappings import refresh_suggestions
from tests.e2e.http_support import call, principal_header
from tests.integration.helpers import GREENLEAF

DANA_ADMIN = principal_header("dana@msp.example", "admin")


async def test_r1_6_a_mapping_decision_records_the_signed_in_operator(env: SimulatedEnvironment) -> None:
    await discover(env.app)
    await refresh_suggestions(env.app)

    reply = await call("POST", f"/api/mappings/{GREENLEAF}", body={"action": "confirm"}, principal=DANA_ADMIN)

    assert reply.status == 200, reply.json
    assert reply.json["decidedBy"] == "dana@msp.example"


async def test_a_name_in_the_body_is_kept_beside_the_operator_never_instead_of_them(env: SimulatedEnvironment) -> None:
    await discover(env.app)
    await refresh_suggestions(env.app)

    reply = await call(
        "POST",
        f"/api/mappings/{GREENLEAF}",
        body={"action": "confirm", "decidedBy": "someone-else"},
        principal=DANA_ADMIN,
    )

    assert reply.status == 200, reply.json
    assert reply.json["decidedBy"] == "dana@msp.example (for someone-else)"


async def test_r7_2_a_run_started_over_http_records_who_asked(env: SimulatedEnvironment) -> None:
    reply = await call("POST", "/api/runs", body={"type": "all-tenants"}, principal=DANA_ADMIN)
    assert reply.status == 202, reply.json

    run = await env.app.runs.require(reply.json["runId"])
    assert run.requested_by == "dana@msp.example"
