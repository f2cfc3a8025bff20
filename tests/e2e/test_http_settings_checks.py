"""PUT /api/settings/*: what is refused when saved because a run could only fail on it (issue 13):
patterns RE2 cannot run (R2.3) and group filters that are no group id or no group of the tenant (R2.4)."""

from __future__ import annotations

from typing import Any

import pytest

from shared.bootstrap import App
from shared.devtools.environment import SimulatedEnvironment
from shared.models import DEFAULT_EXCLUSION_PATTERNS, Tenant
from tests.e2e.http_support import Reply, call
from tests.integration.helpers import GREENLEAF, map_northwind

SALES = "5b0c7a8e-2f4d-4c1b-9e3a-7d6f1a2b3c4d"  # a group of GreenLeaf's, added below
GONE = "00000000-0000-4000-8000-00000000dead"  # a GUID no tenant has (a deleted group)


async def put(section: str, body: Any, tenant_id: str | None = None) -> Reply:
    params = {"tenantId": tenant_id} if tenant_id else None
    return await call("PUT", f"/api/settings/{section}", body=body, params=params)


@pytest.fixture
async def tenant(app: App) -> str:
    await app.tenants.save_many([Tenant(tenant_id=GREENLEAF, display_name="GreenLeaf Dental")])
    return GREENLEAF


@pytest.mark.parametrize("pattern", [r"^(\w)\1", r"^(?!jo)"], ids=["backreference", "lookahead"])
async def test_r2_3_a_pattern_re2_cannot_run_is_400_naming_the_field_and_nothing_is_saved(
    app: App, tenant: str, pattern: str
) -> None:
    for tenant_id in (None, tenant):
        reply = await put("exclusions", {"patterns": [r"^svc[-_.]", pattern]}, tenant_id)
        assert reply.status == 400
        assert reply.error["field"] == "patterns"
        assert pattern in reply.error["message"] and "cannot be used" in reply.error["message"]
    assert (await app.sync_settings.global_settings()).exclusion_patterns == list(DEFAULT_EXCLUSION_PATTERNS)
    assert (await app.sync_settings.overrides(tenant)).exclusion_patterns is None


@pytest.mark.parametrize("group", ["sales-team", "5b0c7a8e-2f4d-4c1b-9e3a", "", f"{SALES}/x"])
async def test_r2_4_a_group_filter_that_is_not_a_group_id_is_400_naming_groups(
    app: App, tenant: str, group: str
) -> None:
    for tenant_id in (None, tenant):
        reply = await put("filters", {"groups": [SALES, group]}, tenant_id)
        assert reply.status == 400
        assert reply.error["field"] == "groups"
    assert (await app.sync_settings.global_settings()).filters.groups is None


async def test_r2_4_a_tenants_group_filter_must_name_groups_of_that_tenant(env: SimulatedEnvironment) -> None:
    await map_northwind(env)
    greenleaf = env.simulator.state.get(GREENLEAF)
    with env.simulator.state.locked():
        greenleaf.groups[SALES] = {"id": SALES, "displayName": "Sales", "members": []}

    unknown = await put("filters", {"groups": [SALES, GONE]}, GREENLEAF)
    assert unknown.status == 400
    assert unknown.error["field"] == "groups" and GONE in unknown.error["message"]
    assert (await env.app.sync_settings.overrides(GREENLEAF)).filters == {}

    known = await put("filters", {"groups": [SALES]}, GREENLEAF)
    assert known.status == 200
    assert known.json["overrides"]["groups"] == [SALES]
    assert env.simulator.request_count(tenant=GREENLEAF, path=f"/groups/{SALES}") == 2  # one check per save


async def test_r2_4_a_global_group_filter_is_checked_for_its_form_only(app: App) -> None:
    # No tenant to ask: any well-formed id is kept (each tenant's run then reports a group it lacks).
    reply = await put("filters", {"groups": [GONE]})
    assert reply.status == 200
    assert reply.json["groups"] == [GONE]
