"""POST/GET /api/runs and the hourly timer, end to end on Azurite (SYNC_RULES R7)."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

from azure.functions.timer import TimerRequest

from functions.timers import sync_timer
from shared.bootstrap import App
from shared.devtools.environment import SimulatedEnvironment
from shared.models import RunType, Trigger
from tests.e2e.http_support import call, queued_messages
from tests.integration.helpers import GREENLEAF, HARBOR, JORDAN, NORTHSTAR, PIONEER, drain, map_northwind

RUNS = "/api/runs"


async def test_r7_5_a_second_start_of_the_same_scope_joins_the_running_run(env: SimulatedEnvironment) -> None:
    await map_northwind(env)

    first = await call("POST", RUNS, body={"type": "all-tenants"})
    assert first.status == 202
    assert first.json["joined"] is False
    assert first.json["status"] == "running"
    assert first.headers["Location"] == f"/api/runs/{first.json['runId']}"
    assert sorted(m["tenantId"] for m in await queued_messages(env.app)) == sorted([GREENLEAF, NORTHSTAR, PIONEER])

    second = await call("POST", RUNS, body={"type": "all-tenants"})
    assert second.status == 202
    assert second.json == {"runId": first.json["runId"], "status": "running", "joined": True}
    assert len(await queued_messages(env.app)) == 3  # nothing more enqueued

    # A dry run is another scope: it does not join the real one.
    dry = await call("POST", RUNS, body={"type": "all-tenants", "dryRun": True})
    assert dry.status == 202
    assert dry.json["joined"] is False
    assert dry.json["runId"] != first.json["runId"]


async def test_r7_2_a_run_read_back_has_each_tenant_and_every_users_outcome_with_reason(
    env: SimulatedEnvironment,
) -> None:
    await map_northwind(env)
    started = await call("POST", RUNS, body={"type": "initial"})
    await drain(env, started.json["runId"])

    reply = await call("GET", f"{RUNS}/{started.json['runId']}")

    assert reply.status == 200
    run = reply.json
    assert (run["type"], run["trigger"], run["status"]) == ("initial", "manual", "completed")
    assert run["completedAt"] is not None
    assert (run["tenantsExpected"], run["tenantsProcessed"], run["succeeded"]) == (3, 3, 3)
    tenants = {t["tenantId"]: t for t in run["tenants"]}
    assert set(tenants) == {GREENLEAF, NORTHSTAR, PIONEER}
    greenleaf = tenants[GREENLEAF]
    assert (greenleaf["clientId"], greenleaf["status"]) == ("c-greenleaf", "succeeded")
    users = {u["userId"]: u for u in greenleaf["users"]}
    assert len(users) == 8  # every user of the tenant, ignored ones included
    assert all(u["outcome"] and u["reason"] for u in users.values())
    assert users[JORDAN]["outcome"] == "queued"
    assert greenleaf["counts"]["queued"] == 1
    assert sum(run["counts"].values()) == sum(len(t["users"]) for t in run["tenants"])


async def test_runs_are_listed_newest_first_a_page_at_a_time(app: App) -> None:
    times = (datetime(2025, 1, 6, 9, tzinfo=UTC) + timedelta(minutes=i) for i in itertools.count())
    app.clock = lambda: next(times)
    ids = []
    for body in ({"type": "initial"}, {"type": "all-tenants"}, {"type": "all-tenants", "dryRun": True}):
        reply = await call("POST", RUNS, body=body)
        assert reply.status == 202
        ids.append(reply.json["runId"])

    page = await call("GET", RUNS, params={"limit": "2"})
    assert page.status == 200
    assert [r["runId"] for r in page.json["runs"]] == [ids[2], ids[1]]
    assert page.json["next"] == ids[1]

    rest = await call("GET", RUNS, params={"limit": "2", "after": page.json["next"]})
    assert [r["runId"] for r in rest.json["runs"]] == [ids[0]]
    assert rest.json["next"] is None

    everything = await call("GET", RUNS)  # default page of 20
    assert [r["runId"] for r in everything.json["runs"]] == ids[::-1]
    assert everything.json["next"] is None

    # isdigit() takes the superscripts and ⑤ (int() then fails: it was a 500); int() takes ' 5' and '1_0'
    for bad in ("0", "101", "ten", "²", "³", "¹", "⑤", " 5", "5.0", "1_0"):
        refused = await call("GET", RUNS, params={"limit": bad})
        assert refused.status == 400
        assert refused.error["field"] == "limit"


async def test_r7_1_a_run_with_no_mapped_tenants_completes_at_once_with_zero_tenants(app: App) -> None:
    started = await call("POST", RUNS, body={"type": "all-tenants"})
    assert started.status == 202
    assert started.json["status"] == "completed"

    run = (await call("GET", f"{RUNS}/{started.json['runId']}")).json
    assert (run["status"], run["tenantsExpected"], run["tenants"]) == ("completed", 0, [])
    assert run["completedAt"] is not None
    assert await queued_messages(app) == []


async def test_an_unknown_run_is_404(app: App) -> None:
    reply = await call("GET", f"{RUNS}/r0000000000000-deadbeef")
    assert reply.status == 404
    assert reply.error["code"] == "not-found"


async def test_start_bodies_are_validated_before_anything_is_enqueued(app: App) -> None:
    for body, field in (
        ({"type": "tenant"}, None),  # tenantId missing
        ({"type": "weekly"}, "type"),
        ({"type": "all-tenants", "tenantId": GREENLEAF}, None),
        ({"type": "all-tenants", "dryrun": True}, "dryrun"),
        ({"type": "all-tenants", "dryRun": "true"}, "dryRun"),  # no coercion: a string is not a boolean
        ({"type": "all-tenants", "dryRun": 1}, "dryRun"),
        ({"type": "all-tenants", "incremental": "off"}, "incremental"),
    ):
        reply = await call("POST", RUNS, body=body)
        assert reply.status == 400, body
        if field:
            assert reply.error["field"] == field
    assert await app.runs.page(10) == []
    assert await queued_messages(app) == []


async def test_a_tenant_run_for_an_unmapped_tenant_is_404_every_time(env: SimulatedEnvironment) -> None:
    await map_northwind(env)  # Harbor is skipped
    for _ in range(2):  # the refusal must not leave the tenant's scope held by a run never written
        reply = await call("POST", RUNS, body={"type": "tenant", "tenantId": HARBOR})
        assert reply.status == 404
    assert await queued_messages(env.app) == []

    ok = await call("POST", RUNS, body={"type": "tenant", "tenantId": GREENLEAF})
    assert ok.status == 202
    assert [m["tenantId"] for m in await queued_messages(env.app)] == [GREENLEAF]


async def test_r7_1_the_hourly_timer_starts_an_all_tenants_run_and_joins_a_running_one(
    env: SimulatedEnvironment,
) -> None:
    await map_northwind(env)
    timer = sync_timer.build().get_user_function()

    await timer(TimerRequest(past_due=False))
    await timer(TimerRequest(past_due=True))  # the next tick while the first run is still going

    runs = await env.app.runs.page(10)
    assert len(runs) == 1
    assert (runs[0].type, runs[0].trigger) == (RunType.ALL_TENANTS, Trigger.TIMER)
    assert len(await queued_messages(env.app)) == 3
