"""Sync settings in Table Storage: concurrent edits of different sections never overwrite each other."""

from __future__ import annotations

import asyncio

from shared.bootstrap import App
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
