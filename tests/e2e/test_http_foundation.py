"""The HTTP routes of discovery, tenants, mappings and the directory, called over ASGI as a client calls them."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import azure.functions as func
import pytest
from azure.functions.timer import TimerRequest
from fastapi.routing import APIRoute, iter_route_contexts

import function_app
from functions.auth import PRINCIPAL_HEADER
from functions.timers import discovery_timer
from shared.bootstrap import App
from shared.devtools.environment import SimulatedEnvironment
from tests.e2e.http_support import ADMIN, API
from tests.e2e.http_support import call as http
from tests.integration.helpers import GREENLEAF, HARBOR, NORTHSTAR, PIONEER


async def call(method: str, path: str, body: Any = None) -> tuple[int, Any]:
    reply = await http(method, path, raw=body if isinstance(body, bytes) else None, body=body)
    return reply.status, reply.json


def mapping(tenant_id: str) -> str:
    return f"/api/mappings/{tenant_id}"


@pytest.fixture
async def discovered(env: SimulatedEnvironment) -> SimulatedEnvironment:
    status, body = await call("POST", "/api/discovery")
    assert status == 200 and body["found"] == 4
    return env


async def test_discovery_returns_tenants_and_suggestions(discovered: SimulatedEnvironment) -> None:
    status, mappings = await call("GET", "/api/mappings")

    assert status == 200
    by_tenant = {m["tenantId"]: m for m in mappings}
    assert by_tenant[GREENLEAF]["status"] == "auto-matched"
    assert by_tenant[PIONEER]["candidates"][0] == {
        "clientId": "c-pioneer",
        "score": 0.9,
        "reason": "secondary-domain",
        "detail": by_tenant[PIONEER]["candidates"][0]["detail"],
    }


async def test_confirm_map_skip_and_unmap(discovered: SimulatedEnvironment) -> None:
    ok, confirmed = await call("POST", mapping(GREENLEAF), {"action": "confirm"})
    mapped, _ = await call("POST", mapping(PIONEER), {"action": "map", "clientId": "c-pioneer"})
    skipped, _ = await call("POST", mapping(HARBOR), {"action": "skip"})
    unmapped, body = await call("DELETE", mapping(HARBOR))

    assert (ok, confirmed["status"], confirmed["clientId"]) == (200, "confirmed", "c-greenleaf")
    assert (mapped, skipped, unmapped) == (200, 200, 200)
    assert body["status"] == "unmatched"


async def test_r1_7_mapping_a_taken_client_is_a_409(discovered: SimulatedEnvironment) -> None:
    await call("POST", mapping(GREENLEAF), {"action": "confirm"})

    status, body = await call("POST", mapping(NORTHSTAR), {"action": "map", "clientId": "c-greenleaf"})

    assert status == 409 and "already mapped" in body["error"]["message"]


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"action": "merge"}, "action"),
        ({"action": "map"}, None),
        ({"action": "skip", "extra": 1}, "extra"),
        (b"{not json", None),
    ],
)
async def test_a_bad_body_is_a_400_naming_the_field(
    discovered: SimulatedEnvironment, payload: Any, field: str | None
) -> None:
    status, body = await call("POST", mapping(GREENLEAF), payload)

    assert status == 400
    assert body["error"]["message"]
    if field:
        assert body["error"]["field"] == field


async def test_unknown_ids_are_404(discovered: SimulatedEnvironment) -> None:
    tenant, _ = await call("POST", mapping("00000000-0000-0000-0000-000000000000"), {"action": "skip"})
    client, _ = await call("POST", mapping(GREENLEAF), {"action": "map", "clientId": "c-zzz"})
    contacts, _ = await call("GET", "/api/clients/c-zzz/contacts")

    assert (tenant, client, contacts) == (404, 404, 404)


async def test_clients_and_contacts(discovered: SimulatedEnvironment) -> None:
    status, clients = await call("GET", "/api/clients")
    _, contacts = await call("GET", "/api/clients/c-greenleaf/contacts")

    assert status == 200 and [c["id"] for c in clients] == ["c-bluebird", "c-greenleaf", "c-northstar", "c-pioneer"]
    assert [c["id"] for c in contacts] == ["k-gl-1", "k-gl-2", "k-gl-3"]


async def test_register_a_tenant_by_id(discovered: SimulatedEnvironment) -> None:
    status, tenant = await call("POST", "/api/tenants", {"tenantId": PIONEER})
    bad, body = await call("POST", "/api/tenants", {"tenantId": "not-a-guid"})

    assert status == 201 and tenant["domains"] == ["pioneerlegal.example"]
    assert bad == 400 and body["error"]["field"] == "tenantId"


async def test_the_daily_timer_runs_discovery(env: SimulatedEnvironment) -> None:
    await discovery_timer.build().get_user_function()(TimerRequest())

    assert len(await env.app.tenants.list()) == 4


def app_routes() -> set[tuple[str, str]]:
    """Every documented route the app answers (included routers too), as (path, method)."""
    return {
        (str(route.path_format), method.lower())
        for route in iter_route_contexts(API.routes)
        if isinstance(route.original_route, APIRoute) and route.original_route.include_in_schema
        for method in route.original_route.methods
    }


async def test_openapi_describes_every_http_route() -> None:
    status, document = await call("GET", "/api/openapi.json")
    assert status == 200
    described = {(path, method) for path, ops in document["paths"].items() for method in ops}

    assert len(app_routes()) >= 26 and app_routes() == described


async def test_openapi_documents_400_for_bad_input_and_never_fastapis_422() -> None:
    _, document = await call("GET", "/api/openapi.json")
    operations = {(path, method): op for path, ops in document["paths"].items() for method, op in ops.items()}

    assert "422" not in str([op["responses"] for op in operations.values()])
    assert not {"HTTPValidationError", "ValidationError"} & set(document["components"]["schemas"])
    for key, op in operations.items():
        if op.get("parameters") or op.get("requestBody"):
            assert "400" in op["responses"], key
        if op.get("security") != []:  # signed in: the role answers
            assert {"401", "403", "503"} <= set(op["responses"]), key
    run_body = operations[("/api/runs", "post")]["requestBody"]["content"]["application/json"]["schema"]
    assert run_body == {"$ref": "#/components/schemas/StartRunBody"}
    assert operations[("/api/webhooks/psa", "post")]["security"] == []
    assert "401" in operations[("/api/webhooks/psa", "post")]["responses"]


@cache
def indexed() -> dict[str, Any]:
    """The functions as the host indexes them (azure-functions refuses a second get_functions() call)."""
    return {fn.get_function_name(): fn for fn in function_app.app.get_functions()}


def test_the_functions_app_is_the_asgi_app_and_the_native_timer_and_queue_triggers() -> None:
    kinds = {name: {b.get_dict_repr()["type"] for b in fn.get_bindings()} for name, fn in indexed().items()}

    assert kinds == {
        "http_app_func": {"httpTrigger", "http"},
        "sync_timer": {"timerTrigger"},
        "discovery_timer": {"timerTrigger"},
        "subscription_timer": {"timerTrigger"},  # Graph change-notification subscriptions (issue 15)
        "run_sweep": {"timerTrigger"},
        "tenant_worker": {"queueTrigger"},
        "tenant_poison": {"queueTrigger"},
    }
    http = next(b.get_dict_repr() for b in indexed()["http_app_func"].get_bindings() if b.type == "httpTrigger")
    host = json.loads((Path(function_app.__file__).parent / "host.json").read_text())
    # Every path reaches the app (the console at /, the API under /api): no "api" prefix from the host.
    assert (http["route"], host["extensions"]["http"]["routePrefix"]) == ("/{*route}", "")


async def test_a_request_through_the_functions_host_reaches_the_fastapi_app(app: App) -> None:
    handler = indexed()["http_app_func"]
    request = func.HttpRequest(
        "GET", "http://localhost/api/tenants", headers={PRINCIPAL_HEADER: ADMIN}, params={}, body=b""
    )
    unsigned = func.HttpRequest("GET", "http://localhost/api/tenants", headers={}, params={}, body=b"")

    response = await handler.get_user_function()(request, None)
    refused = await handler.get_user_function()(unsigned, None)

    assert (response.status_code, json.loads(response.get_body())) == (200, [])
    assert refused.status_code == 401
