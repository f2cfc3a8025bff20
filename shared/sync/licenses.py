"""The unused-licence report (R4.4): per subscribed SKU, who holds it and whether they use it. Pure.

Computed from what a full pass already read (every user, with sign-in activity on Entra ID P1 tenants,
and `subscribedSkus`); the clock is passed in.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Protocol

from shared.models import EntraUser
from shared.models.licenses import SkuUsage
from shared.sync.client_facts import is_active

__all__ = ["NO_SIGN_IN_WINDOWS", "SubscribedSkuLike", "license_usage"]

NO_SIGN_IN_WINDOWS = (timedelta(days=30), timedelta(days=90))


class PrepaidUnitsLike(Protocol):
    @property
    def enabled(self) -> int | None: ...


class SubscribedSkuLike(Protocol):
    """The parts of Graph's `subscribedSku` the report reads."""

    @property
    def sku_id(self) -> str: ...
    @property
    def sku_part_number(self) -> str | None: ...
    @property
    def prepaid_units(self) -> PrepaidUnitsLike | None: ...
    @property
    def consumed_units(self) -> int | None: ...


def license_usage(
    tenant_id: str,
    users: Sequence[EntraUser],
    skus: Sequence[SubscribedSkuLike],
    *,
    now: datetime,
    sign_in_known: bool,
) -> list[SkuUsage]:
    """One row per subscribed SKU, ordered by part number.

    A holder "has no sign-in in N days" when the account is enabled and neither its interactive nor its
    non-interactive last sign-in is within N days of `now` (never signed in counts): the same rule as
    the client's active users. Unknown (None) without Entra ID P1 (`sign_in_known` False).
    """
    holders: dict[str, list[EntraUser]] = {}
    for user in users:
        for sku_id in {lic.sku_id.lower() for lic in user.assigned_licenses}:
            holders.setdefault(sku_id, []).append(user)
    thirty, ninety = NO_SIGN_IN_WINDOWS
    rows: dict[str, SkuUsage] = {}
    for sku in skus:  # keyed by id: one row per SKU even if Graph ever listed one twice
        held = holders.get(sku.sku_id.lower(), [])
        enabled = [u for u in held if u.account_enabled]
        prepaid = sku.prepaid_units.enabled if sku.prepaid_units is not None else None
        consumed = sku.consumed_units
        rows[sku.sku_id.lower()] = SkuUsage(
            tenant_id=tenant_id,
            sku_id=sku.sku_id,
            sku_part_number=sku.sku_part_number,
            prepaid=prepaid,
            consumed=consumed,
            assigned_disabled=len(held) - len(enabled),
            no_sign_in_30_days=_idle(enabled, now, thirty) if sign_in_known else None,
            no_sign_in_90_days=_idle(enabled, now, ninety) if sign_in_known else None,
            available=prepaid - consumed if prepaid is not None and consumed is not None else None,
            computed_at=now,
        )
    return sorted(rows.values(), key=lambda r: ((r.sku_part_number or "").lower(), r.sku_id))


def _idle(users: Sequence[EntraUser], now: datetime, window: timedelta) -> int:
    return sum(not is_active(u, now, window) for u in users)
