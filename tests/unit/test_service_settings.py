"""Sync settings on fakes (R2.3, R2.4, R4.2, R5.5): each section replaced globally, overridden per tenant
key by key, and every refusal a ValidationFailed naming the field."""

from __future__ import annotations

import pytest

from shared.errors import NotFound, ValidationFailed
from shared.models import Tenant
from shared.service.app import App
from shared.service.settings import (
    ExclusionsInput,
    FieldControlsInput,
    FiltersInput,
    SafetyBrakeInput,
    Section,
    TenantSettingsView,
    read_section,
    write_section,
)
from tests.unit.fakes import fake_app

TENANT = "t-contoso"


async def world() -> App:
    app = fake_app()
    await app.tenants.save_many([Tenant(tenant_id=TENANT, display_name="Contoso")])
    return app


def view(value: object) -> TenantSettingsView:
    assert isinstance(value, TenantSettingsView)
    return value


async def test_r4_2_a_global_section_is_replaced_whole_and_keys_not_named_take_their_defaults() -> None:
    app = await world()
    await write_section(app, FieldControlsInput.model_validate({"email": True, "jobTitle": False}))

    written = await write_section(app, FieldControlsInput.model_validate({"upn": True}))

    assert written == await read_section(app, Section.FIELD_CONTROLS)
    assert isinstance(written, dict) and written["upn"] is True
    assert written["email"] is False and written["jobTitle"] is True  # back to the defaults


async def test_editing_one_global_section_keeps_the_others() -> None:
    app = await world()
    await write_section(app, FieldControlsInput.model_validate({"email": True}))

    await write_section(app, SafetyBrakeInput.model_validate({"minContacts": 2, "percent": 10}))

    settings = await app.sync_settings.global_settings()
    assert settings.field_controls.email is True
    assert (settings.safety_brake.min_contacts, settings.safety_brake.percent) == (2, 10)


async def test_r4_2_a_tenants_overrides_are_merged_over_the_global_values_key_by_key() -> None:
    app = await world()
    await write_section(app, FieldControlsInput.model_validate({"email": True}))

    tenant = view(await write_section(app, FieldControlsInput.model_validate({"phone": False}), TENANT))

    assert tenant.overrides == {"phone": False}
    assert tenant.effective["phone"] is False and tenant.effective["email"] is True
    effective = await app.sync_settings.effective(TENANT)
    assert effective.field_controls.phone is False and effective.field_controls.email is True
    cleared = view(await write_section(app, FieldControlsInput.model_validate({}), TENANT))
    assert cleared.overrides == {} and cleared.effective["phone"] is True
    assert view(await read_section(app, Section.FIELD_CONTROLS, TENANT)) == cleared


async def test_r2_4_a_filter_set_to_null_for_a_tenant_is_lifted_there() -> None:
    app = await world()
    await write_section(app, FiltersInput.model_validate({"departments": ["Sales"]}))

    tenant = view(await write_section(app, FiltersInput.model_validate({"departments": None}), TENANT))

    assert tenant.overrides == {"departments": None} and tenant.effective["departments"] is None
    assert (await app.sync_settings.effective("t-other")).filters.departments == ["Sales"]


async def test_r2_3_exclusion_patterns_globally_and_per_tenant() -> None:
    app = await world()
    with pytest.raises(ValidationFailed) as missing:
        await write_section(app, ExclusionsInput.model_validate({}))
    assert missing.value.field == "patterns"

    await write_section(app, ExclusionsInput.model_validate({"patterns": ["^svc-"]}))
    tenant = view(await write_section(app, ExclusionsInput.model_validate({"patterns": ["^ext-"]}), TENANT))
    assert tenant.effective == {"patterns": ["^ext-"]} and tenant.overrides == {"patterns": ["^ext-"]}

    reset = view(await write_section(app, ExclusionsInput.model_validate({"patterns": None}), TENANT))
    assert reset.effective == {"patterns": ["^svc-"]} and reset.overrides == {}


async def test_r5_5_a_tenants_safety_brake_overrides_both_of_its_values() -> None:
    app = await world()

    with pytest.raises(ValidationFailed) as refused:
        await write_section(app, SafetyBrakeInput.model_validate({"minContacts": 1}), TENANT)
    assert refused.value.field == "percent"

    both = view(await write_section(app, SafetyBrakeInput.model_validate({"minContacts": 1, "percent": 5}), TENANT))
    assert both.effective == {"minContacts": 1, "percent": 5}
    dropped = view(await write_section(app, SafetyBrakeInput.model_validate({}), TENANT))
    assert dropped.overrides == {} and dropped.effective == {"minContacts": 5, "percent": 20}


async def test_an_undiscovered_tenant_has_no_settings() -> None:
    app = await world()

    with pytest.raises(NotFound):
        await read_section(app, Section.FILTERS, "t-unknown")
    with pytest.raises(NotFound):
        await write_section(app, FiltersInput.model_validate({}), "t-unknown")
