"""The HTTP functions of discovery, tenants, mappings and the directory, called as the host calls them."""

from __future__ import annotations

import json
from typing import Any

import azure.functions as func
import pytest

import function_app
from functions.directory import list_clients, list_contacts
from functions.discovery import add_tenant, discovery_timer, run_discovery
from functions.mappings import delete_mapping, get_mappings, post_mapping
from functions.openapi import openapi
from shared.devtools.environment import SimulatedEnvironment
from tests.integration.helpers import GREENLEAF, HARBOR, NORTHSTAR, PIONEER


def request(method: str, url: str, body: Any = None, **route: str) -> func.HttpRequest:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode() if body is not None else b""
    return func.HttpRequest(method, url, body=raw, route_params=route, headers={"content-type": "application/json"})


async def call(fn: Any, req: func.HttpRequest) -> tuple[int, Any]:
    response = await fn.build().get_user_function()(req)
    body = response.get_body()
    return response.status_code, json.loads(body) if body else None


@pytest.fixture
async def discovered(env: SimulatedEnvironment) -> SimulatedEnvironment:
    status, body = await call(run_discovery, request("POST", "/api/discovery"))
    assert status == 200 and body["found"] == 4
    return env


async def test_discovery_returns_tenants_and_suggestions(discovered: SimulatedEnvironment) -> None:
    status, mappings = await call(get_mappings, request("GET", "/api/mappings"))

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
    ok, confirmed = await call(post_mapping, request("POST", "/", {"action": "confirm"}, tenantId=GREENLEAF))
    mapped, _ = await call(
        post_mapping, request("POST", "/", {"action": "map", "clientId": "c-pioneer"}, tenantId=PIONEER)
    )
    skipped, _ = await call(post_mapping, request("POST", "/", {"action": "skip"}, tenantId=HARBOR))
    unmapped, body = await call(delete_mapping, request("DELETE", "/", tenantId=HARBOR))

    assert (ok, confirmed["status"], confirmed["clientId"]) == (200, "confirmed", "c-greenleaf")
    assert (mapped, skipped, unmapped) == (200, 200, 200)
    assert body["status"] == "unmatched"


async def test_r1_7_mapping_a_taken_client_is_a_409(discovered: SimulatedEnvironment) -> None:
    await call(post_mapping, request("POST", "/", {"action": "confirm"}, tenantId=GREENLEAF))

    status, body = await call(
        post_mapping, request("POST", "/", {"action": "map", "clientId": "c-greenleaf"}, tenantId=NORTHSTAR)
    )

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
    status, body = await call(post_mapping, request("POST", "/", payload, tenantId=GREENLEAF))

    assert status == 400
    assert body["error"]["message"]
    if field:
        assert body["error"]["field"] == field


async def test_unknown_ids_are_404(discovered: SimulatedEnvironment) -> None:
    tenant, _ = await call(
        post_mapping, request("POST", "/", {"action": "skip"}, tenantId="00000000-0000-0000-0000-000000000000")
    )
    client, _ = await call(
        post_mapping, request("POST", "/", {"action": "map", "clientId": "c-zzz"}, tenantId=GREENLEAF)
    )
    contacts, _ = await call(list_contacts, request("GET", "/", clientId="c-zzz"))

    assert (tenant, client, contacts) == (404, 404, 404)


async def test_clients_and_contacts(discovered: SimulatedEnvironment) -> None:
    status, clients = await call(list_clients, request("GET", "/api/clients"))
    _, contacts = await call(list_contacts, request("GET", "/", clientId="c-greenleaf"))

    assert status == 200 and [c["id"] for c in clients] == ["c-bluebird", "c-greenleaf", "c-northstar", "c-pioneer"]
    assert [c["id"] for c in contacts] == ["k-gl-1", "k-gl-2", "k-gl-3"]


async def test_register_a_tenant_by_id(discovered: SimulatedEnvironment) -> None:
    status, tenant = await call(add_tenant, request("POST", "/api/tenants", {"tenantId": PIONEER}))
    bad, body = await call(add_tenant, request("POST", "/api/tenants", {"tenantId": "not-a-guid"}))

    assert status == 201 and tenant["domains"] == ["pioneerlegal.example"]
    assert bad == 400 and body["error"]["field"] == "tenantId"


async def test_the_daily_timer_runs_discovery(env: SimulatedEnvironment) -> None:
    from azure.functions.timer import TimerRequest

    await discovery_timer.build().get_user_function()(TimerRequest())

    assert len(await env.app.tenants.list()) == 4


async def test_openapi_describes_every_http_route() -> None:
    status, document = await call(openapi, request("GET", "/api/openapi.json"))
    assert status == 200
    described = {(path, method) for path, ops in document["paths"].items() for method in ops}

    routes = set()
    for fn in function_app.app.get_functions():
        for binding in fn.get_bindings():
            data = binding.get_dict_repr()
            if data.get("type") == "httpTrigger":
                for method in data.get("methods") or []:
                    routes.add(("/" + data["route"], str(method).lower().split(".")[-1]))

    assert routes and routes <= described
