"""How a tenant's subscribed licences are used: one row per tenant and SKU (the unused-licence report)."""

from __future__ import annotations

from datetime import datetime

from shared.models.base import WireModel

__all__ = ["SkuUsage"]


class SkuUsage(WireModel):
    """One SKU of one tenant as of the tenant's last full pass.

    The sign-in columns count enabled holders only (disabled ones are in `assigned_disabled`), so
    `assigned_disabled + no_sign_in_30_days` licences are candidates to reclaim. They are None when
    the tenant has no Entra ID P1: Graph gives no sign-in activity there, so the figure is unknown, not 0.
    """

    tenant_id: str
    sku_id: str
    sku_part_number: str | None = None
    prepaid: int | None = None  # prepaidUnits.enabled
    consumed: int | None = None  # consumedUnits
    assigned_disabled: int = 0
    no_sign_in_30_days: int | None = None
    no_sign_in_90_days: int | None = None
    available: int | None = None  # prepaid - consumed
    computed_at: datetime
