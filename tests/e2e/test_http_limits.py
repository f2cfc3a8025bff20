"""Table Storage's 64 KiB property limit at the HTTP edge: a setting too large to store is a 400 naming
its field, refused before anything is written; a large value that fits is stored as it is."""

from __future__ import annotations

from typing import Any

import pytest

from functions.settings import get_exclusions, get_filters, put_exclusions, put_filters
from shared.bootstrap import App
from shared.models import DEFAULT_EXCLUSION_PATTERNS, Tenant
from tests.e2e.http_support import Reply, call

TENANT = "d4db95b7-337d-540d-8a9f-13b6f9b2058a"
URL = "http://localhost/api/settings/"
DEFAULTS = {"patterns": list(DEFAULT_EXCLUSION_PATTERNS)}


async def put(function: Any, body: Any, tenant_id: str | None = None) -> Reply:
    return await call(function, "PUT", URL, body=body, params={"tenantId": tenant_id} if tenant_id else None)


async def get(function: Any, tenant_id: str | None = None) -> Reply:
    return await call(function, "GET", URL, params={"tenantId": tenant_id} if tenant_id else None)


def assert_too_large(reply: Reply, field: str) -> None:
    assert reply.status == 400, reply.json
    assert reply.error["field"] == field
    assert reply.error["message"].startswith(f"{field} is too large to store")
    assert "65,536" in reply.error["message"]


async def test_one_pattern_of_70_kb_is_refused_naming_the_field_and_nothing_is_written(app: App) -> None:
    reply = await put(put_exclusions, {"patterns": ["^" + "a" * 70_000]})
    assert_too_large(reply, "exclusionPatterns")
    assert (await get(get_exclusions)).json == DEFAULTS


async def test_many_patterns_that_are_too_large_together_are_refused(app: App) -> None:
    patterns = [f"^svc{i}-" + "x" * 500 for i in range(150)]  # within the body's 200, 75,000 characters
    assert_too_large(await put(put_exclusions, {"patterns": patterns}), "exclusionPatterns")
    assert (await get(get_exclusions)).json == DEFAULTS


async def test_40000_patterns_are_refused_by_the_body_limit_naming_patterns(app: App) -> None:
    reply = await put(put_exclusions, {"patterns": [f"^p{i}$" for i in range(40_000)]})
    assert reply.status == 400 and reply.error["field"] == "patterns"
    assert (await get(get_exclusions)).json == DEFAULTS


async def test_a_filter_list_too_large_names_the_filter(app: App) -> None:
    reply = await put(put_filters, {"departments": [f"Department {i}" for i in range(40_000)]})
    assert_too_large(reply, "filters.departments")
    assert (await get(get_filters)).json["departments"] is None


async def test_a_tenant_override_too_large_is_refused_and_the_tenant_keeps_the_global_patterns(app: App) -> None:
    await app.tenants.save_many([Tenant(tenant_id=TENANT, display_name="GreenLeaf Dental")])
    assert_too_large(await put(put_exclusions, {"patterns": ["^" + "b" * 70_000]}, TENANT), "exclusionPatterns")
    view = (await get(get_exclusions, TENANT)).json
    assert view["overrides"] == {} and view["effective"] == DEFAULTS


@pytest.mark.parametrize(
    ("character", "stored"),
    [("é", True), ("😀", False)],  # 20,000 of each: 40,000 bytes as UTF-16, and 80,000 (a surrogate pair each)
)
async def test_the_limit_counts_utf16_as_the_service_does(app: App, character: str, stored: bool) -> None:
    patterns = ["^" + character * 20_000]
    reply = await put(put_exclusions, {"patterns": patterns})
    if stored:
        assert reply.status == 200, reply.json
        assert (await get(get_exclusions)).json == {"patterns": patterns}
    else:
        assert_too_large(reply, "exclusionPatterns")
        assert (await get(get_exclusions)).json == DEFAULTS


async def test_a_large_value_that_fits_is_stored(app: App) -> None:
    patterns = ["^" + "c" * 30_000]
    assert (await put(put_exclusions, {"patterns": patterns})).status == 200
    assert (await get(get_exclusions)).json == {"patterns": patterns}
