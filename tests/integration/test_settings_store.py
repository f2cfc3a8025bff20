"""Sync settings in Table Storage: concurrent edits of different sections never overwrite each other."""

from __future__ import annotations

import asyncio

from shared.bootstrap import App
from shared.models import SyncSettings, TenantOverrides
from shared.service.settings import ExclusionsInput, FieldControlsInput, SafetyBrakeInput, write_section


async def test_concurrent_edits_of_different_sections_are_all_kept(app: App) -> None:
    await asyncio.gather(
        write_section(app, FieldControlsInput(phone=False)),
        write_section(app, ExclusionsInput(patterns=["^svc[-_.]", "^kiosk-"])),
        write_section(app, SafetyBrakeInput(min_contacts=9, percent=10)),
    )

    stored = await app.sync_settings.global_settings()
    assert stored.field_controls.phone is False
    assert stored.exclusion_patterns == ["^svc[-_.]", "^kiosk-"]
    assert (stored.safety_brake.min_contacts, stored.safety_brake.percent) == (9, 10)


async def test_every_tenants_overrides_come_in_one_query_without_the_global_row(app: App) -> None:
    await app.sync_settings.save_global(app_settings_with_phone_off())
    phone_on = TenantOverrides.model_validate({"fieldControls": {"phone": True}})
    await app.sync_settings.save_overrides("tenant-a", phone_on)
    await app.sync_settings.save_overrides("tenant-b", TenantOverrides.model_validate({"exclusionPatterns": ["^x"]}))

    rows = await app.sync_settings.all_overrides()

    assert sorted(rows) == ["tenant-a", "tenant-b"]
    assert rows["tenant-a"].field_controls == {"phone": True}
    assert rows["tenant-b"].exclusion_patterns == ["^x"]


def app_settings_with_phone_off() -> SyncSettings:
    settings = SyncSettings()
    return settings.model_copy(update={"field_controls": settings.field_controls.model_copy(update={"phone": False})})
