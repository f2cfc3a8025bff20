"""What a tenant's last pass left for the next one: the cursor of its delta passes (SyncState row `delta`)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field, model_validator

__all__ = ["DeltaCursor"]


class DeltaCursor(BaseModel):
    """Where a tenant's last pass left off, and the one home of its safety-brake hold (R5.5).

    `delta_link`: where the next delta pass starts. `last_full_pass`: when the last full pass ran (the
    daily one is due FULL_SYNC_INTERVAL_HOURS later). `client_id` and `settings_hash`: the mapping and
    the effective settings that pass ran with; when either changed, the next pass is a full one.
    `entra_p1` / `p1_checked_at`: whether the tenant had Entra ID P1 (sign-in activity, MFA report),
    so a tenant without it is not asked again on every full pass. `sku_part_numbers`: licence names
    for delta passes, which do not read subscribedSkus. `retry`: users to plan again on the next delta
    pass although Graph reports no change (the PSA refused them). `held_by_run`: the run whose
    inactivations the safety brake holds, None when nothing is held. `buckets`: how many rows hold the
    user snapshot.

    Stored as snake_case JSON (not the wire's camelCase): rows written before this model moved here
    read back unchanged.
    """

    delta_link: str | None = None
    last_full_pass: datetime | None = None
    client_id: str | None = None
    settings_hash: str | None = None
    entra_p1: bool | None = None
    p1_checked_at: datetime | None = None
    sku_part_numbers: dict[str, str] = Field(default_factory=dict)
    retry: list[str] = Field(default_factory=list)
    held_by_run: str | None = None
    buckets: int = 0

    @property
    def held(self) -> bool:
        """The safety brake holds this tenant's inactivations until an operator approves them."""
        return self.held_by_run is not None

    @model_validator(mode="before")
    @classmethod
    def _legacy_held(cls, data: Any) -> Any:
        # Cursors written before `held_by_run` kept only `held: true`; the run that held is unknown.
        if isinstance(data, dict) and "held" in data:
            data = dict(data)
            if data.pop("held") and data.get("held_by_run") is None:
                data["held_by_run"] = "unknown"
        return data
