"""Table Storage's 64 KiB property limit at the HTTP edge: a setting too large to store is a 400 naming
its field, refused before anything is written; a large value that fits is stored as it is."""

from __future__ import annotations

from functools import cache
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from functions.api import create_api
from functions.auth import PRINCIPAL_HEADER, principal_header
from shared.bootstrap import App
from shared.models import DEFAULT_EXCLUSION_PATTERNS, Tenant

TENANT = "d4db95b7-337d-540d-8a9f-13b6f9b2058a"
DEFAULTS = {"patterns": list(DEFAULT_EXCLUSION_PATTERNS)}
ADMIN = {PRINCIPAL_HEADER: principal_header("limits test", "admin")}


@cache
def _api() -> FastAPI:
    return create_api()


async def _call(method: str, section: str, body: Any = None, tenant_id: str | None = None) -> httpx.Response:
    params = {"tenantId": tenant_id} if tenant_id else None
    transport = httpx.ASGITransport(app=_api())
    async with httpx.AsyncClient(transport=transport, base_url="http://localhost") as client:
        return await client.request(method, f"/api/settings/{section}", json=body, params=params, headers=ADMIN)


async def put(section: str, body: Any, tenant_id: str | None = None) -> httpx.Response:
    return await _call("PUT", section, body, tenant_id)


async def get(section: str, tenant_id: str | None = None) -> Any:
    reply = await _call("GET", section, tenant_id=tenant_id)
    assert reply.status_code == 200, reply.text
    return reply.json()


def assert_too_large(reply: httpx.Response, field: str) -> None:
    assert reply.status_code == 400, reply.text
    error = reply.json()["error"]
    assert error["field"] == field
    assert error["message"].startswith(f"{field} is too large to store")
    assert "65,536" in error["message"]


async def test_one_pattern_of_70_kb_is_refused_naming_the_field_and_nothing_is_written(app: App) -> None:
    reply = await put("exclusions", {"patterns": ["^" + "a" * 70_000]})
    assert_too_large(reply, "exclusionPatterns")
    assert await get("exclusions") == DEFAULTS


async def test_many_patterns_that_are_too_large_together_are_refused(app: App) -> None:
    patterns = [f"^svc{i}-" + "x" * 500 for i in range(150)]  # within the body's 200, 75,000 characters
    assert_too_large(await put("exclusions", {"patterns": patterns}), "exclusionPatterns")
    assert await get("exclusions") == DEFAULTS


async def test_40000_patterns_are_refused_by_the_body_limit_naming_patterns(app: App) -> None:
    reply = await put("exclusions", {"patterns": [f"^p{i}$" for i in range(40_000)]})
    assert reply.status_code == 400 and reply.json()["error"]["field"] == "patterns"
    assert await get("exclusions") == DEFAULTS


async def test_a_filter_list_too_large_names_the_filter(app: App) -> None:
    reply = await put("filters", {"departments": [f"Department {i}" for i in range(40_000)]})
    assert_too_large(reply, "filters.departments")
    assert (await get("filters"))["departments"] is None


async def test_a_tenant_override_too_large_is_refused_and_the_tenant_keeps_the_global_patterns(app: App) -> None:
    await app.tenants.save_many([Tenant(tenant_id=TENANT, display_name="GreenLeaf Dental")])
    assert_too_large(await put("exclusions", {"patterns": ["^" + "b" * 70_000]}, TENANT), "exclusionPatterns")
    view = await get("exclusions", TENANT)
    assert view["overrides"] == {} and view["effective"] == DEFAULTS


@pytest.mark.parametrize(
    ("character", "stored"),
    [("é", True), ("😀", False)],  # 20,000 of each: 40,000 bytes as UTF-16, and 80,000 (a surrogate pair each)
)
async def test_the_limit_counts_utf16_as_the_service_does(app: App, character: str, stored: bool) -> None:
    patterns = ["^" + character * 20_000]
    reply = await put("exclusions", {"patterns": patterns})
    if stored:
        assert reply.status_code == 200, reply.text
        assert await get("exclusions") == {"patterns": patterns}
    else:
        assert_too_large(reply, "exclusionPatterns")
        assert await get("exclusions") == DEFAULTS


async def test_a_large_value_that_fits_is_stored(app: App) -> None:
    patterns = ["^" + "c" * 30_000]
    assert (await put("exclusions", {"patterns": patterns})).status_code == 200
    assert await get("exclusions") == {"patterns": patterns}
