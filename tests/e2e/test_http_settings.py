"""GET/PUT /api/settings/*: global settings and per-tenant overrides merged key by key (R2.3, R2.4, R4.2, R5.5)."""

from __future__ import annotations

from typing import Any

import pytest

from shared.bootstrap import App
from shared.models import DEFAULT_EXCLUSION_PATTERNS, Tenant
from tests.e2e.http_support import Reply, call

TENANT = "d4db95b7-337d-540d-8a9f-13b6f9b2058a"
URL = "/api/settings/"


@pytest.fixture
async def tenant(app: App) -> str:
    await app.tenants.save_many([Tenant(tenant_id=TENANT, display_name="GreenLeaf Dental")])
    return TENANT


# The sections, by their path under /api/settings/.
FIELD_CONTROLS, FILTERS, EXCLUSIONS, SAFETY_BRAKE = "field-controls", "filters", "exclusions", "safety-brake"


async def get(section: str, tenant_id: str | None = None) -> Reply:
    return await call("GET", URL + section, params={"tenantId": tenant_id} if tenant_id else None)


async def put(section: str, body: Any, tenant_id: str | None = None) -> Reply:
    return await call("PUT", URL + section, body=body, params={"tenantId": tenant_id} if tenant_id else None)


async def test_r4_2_field_controls_default_then_round_trip_globally(app: App) -> None:
    defaults = await get(FIELD_CONTROLS)
    assert defaults.status == 200
    assert defaults.json == {
        "name": True,
        "email": False,
        "phone": True,
        "mobile": True,
        "jobTitle": True,
        "department": True,
        "officeLocation": True,
        "address": True,
        "upn": False,
    }

    changed = await put(FIELD_CONTROLS, {**defaults.json, "email": True, "jobTitle": False})
    assert changed.status == 200
    assert (await get(FIELD_CONTROLS)).json == changed.json == {**defaults.json, "email": True, "jobTitle": False}
    assert (await app.sync_settings.global_settings()).field_controls.job_title is False


async def test_r4_2_a_tenant_override_keeps_the_global_value_of_every_control_it_does_not_name(
    app: App, tenant: str
) -> None:
    await put(FIELD_CONTROLS, {"jobTitle": False, "phone": False})

    reply = await put(FIELD_CONTROLS, {"email": True, "phone": True}, tenant)

    assert reply.status == 200
    assert reply.json["tenantId"] == tenant
    assert reply.json["overrides"] == {"email": True, "phone": True}
    effective = reply.json["effective"]
    assert (effective["email"], effective["phone"], effective["jobTitle"]) == (True, True, False)
    assert (await get(FIELD_CONTROLS, tenant)).json == reply.json
    assert (await get(FIELD_CONTROLS)).json["email"] is False  # the global value is untouched
    # What a run of that tenant reads is what the API showed.
    assert (await app.sync_settings.effective(tenant)).field_controls.model_dump(mode="json") == effective

    await put(FIELD_CONTROLS, {"jobTitle": True, "phone": False})  # later global changes still flow in
    assert (await get(FIELD_CONTROLS, tenant)).json["effective"]["jobTitle"] is True

    cleared = await put(FIELD_CONTROLS, {}, tenant)
    assert cleared.json["overrides"] == {}
    assert cleared.json["effective"] == (await get(FIELD_CONTROLS)).json


async def test_r2_4_a_tenant_can_lift_a_global_filter_with_null_and_keep_the_others(app: App, tenant: str) -> None:
    put_global = await put(FILTERS, {"departments": ["Clinical"], "licensed": True})
    assert put_global.status == 200
    assert put_global.json["departments"] == ["Clinical"]
    assert put_global.json["domains"] is None

    reply = await put(FILTERS, {"departments": None}, tenant)

    assert reply.status == 200
    assert reply.json["overrides"] == {"departments": None}
    assert reply.json["effective"]["departments"] is None
    assert reply.json["effective"]["licensed"] is True
    assert (await app.sync_settings.effective(tenant)).filters.departments is None
    assert (await get(FILTERS)).json["departments"] == ["Clinical"]


async def test_r2_4_a_filter_of_all_covers_later_values_too(app: App) -> None:
    reply = await put(FILTERS, {"domains": "all", "userTypes": "all"})
    assert reply.status == 200
    assert reply.json["domains"] is None
    assert reply.json["userTypes"] == ["Member", "Guest"]


async def test_r2_3_exclusion_patterns_round_trip_globally_and_per_tenant(app: App, tenant: str) -> None:
    assert (await get(EXCLUSIONS)).json == {"patterns": list(DEFAULT_EXCLUSION_PATTERNS)}

    patterns = [*DEFAULT_EXCLUSION_PATTERNS, r"^reception[-_.]"]
    assert (await put(EXCLUSIONS, {"patterns": patterns})).json == {"patterns": patterns}
    assert (await get(EXCLUSIONS)).json == {"patterns": patterns}

    own = await put(EXCLUSIONS, {"patterns": [r"^kiosk\d+$"]}, tenant)
    assert own.json["effective"] == own.json["overrides"] == {"patterns": [r"^kiosk\d+$"]}

    back = await put(EXCLUSIONS, {"patterns": None}, tenant)
    assert back.json["overrides"] == {}
    assert back.json["effective"] == {"patterns": patterns}


async def test_r2_3_a_bad_regular_expression_is_400_naming_the_pattern_and_nothing_is_saved(
    app: App, tenant: str
) -> None:
    for tenant_id in (None, tenant):
        reply = await put(EXCLUSIONS, {"patterns": [r"^svc[-_.]", "^(unclosed"]}, tenant_id)
        assert reply.status == 400
        assert reply.error["field"] == "patterns"
        assert "^(unclosed" in reply.error["message"]
    assert (await get(EXCLUSIONS)).json == {"patterns": list(DEFAULT_EXCLUSION_PATTERNS)}
    assert (await get(EXCLUSIONS, tenant)).json["overrides"] == {}


async def test_r5_5_safety_brake_round_trip_and_tenant_override(app: App, tenant: str) -> None:
    assert (await get(SAFETY_BRAKE)).json == {"minContacts": 5, "percent": 20}
    assert (await put(SAFETY_BRAKE, {"minContacts": 10, "percent": 25})).json == {"minContacts": 10, "percent": 25}

    own = await put(SAFETY_BRAKE, {"minContacts": 2, "percent": 50}, tenant)
    assert own.json["effective"] == own.json["overrides"] == {"minContacts": 2, "percent": 50}

    partial = await put(SAFETY_BRAKE, {"percent": 50}, tenant)
    assert partial.status == 400
    assert partial.error["field"] == "minContacts"

    too_much = await put(SAFETY_BRAKE, {"minContacts": 5, "percent": 150})
    assert too_much.status == 400
    assert too_much.error["field"] == "percent"


@pytest.mark.parametrize(
    ("section", "body", "field"),
    [
        (FIELD_CONTROLS, {"favouriteColour": True}, "favouriteColour"),
        (FIELD_CONTROLS, {"email": "sometimes"}, "email"),
        (FIELD_CONTROLS, {"email": "off"}, "email"),  # strict: no coercion of strings or numbers
        (FIELD_CONTROLS, {"email": 1}, "email"),
        (FILTERS, {"licensed": "true"}, "licensed"),
        (SAFETY_BRAKE, {"minContacts": "5", "percent": 20}, "minContacts"),
        (SAFETY_BRAKE, {"minContacts": True, "percent": 20}, "minContacts"),
        (FILTERS, {"costCentre": ["1"]}, "costCentre"),
        (EXCLUSIONS, {"pattern": ["^x"]}, "pattern"),
        (SAFETY_BRAKE, {"minContacts": 5, "percent": 20, "maxPerHour": 3}, "maxPerHour"),
    ],
)
async def test_an_unknown_or_mistyped_setting_is_400_naming_it(
    app: App, tenant: str, section: str, body: dict[str, Any], field: str
) -> None:
    for tenant_id in (None, tenant):
        reply = await put(section, body, tenant_id)
        assert reply.status == 400
        assert reply.error["field"] == field
        assert field in reply.error["message"]


async def test_settings_of_an_unknown_tenant_are_404(app: App) -> None:
    assert (await get(FIELD_CONTROLS, "00000000-0000-0000-0000-000000000000")).status == 404
    assert (await put(FIELD_CONTROLS, {"email": True}, "00000000-0000-0000-0000-000000000000")).status == 404
    assert (await put(FIELD_CONTROLS, {"email": True}, "a/b")).status == 400
    assert (await get(FILTERS, "   ")).status == 400


async def test_a_global_exclusions_put_needs_its_patterns(app: App) -> None:
    reply = await put(EXCLUSIONS, {})
    assert reply.status == 400
    assert reply.error["field"] == "patterns"
