"""Microsoft 365 reports for the MSP: unused licences per tenant and SKU, and a client's Secure Score trend."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from shared.errors import NotFound, ValidationFailed
from shared.models.base import WireModel
from shared.models.keys import is_storage_key
from shared.models.licenses import SkuUsage
from shared.models.secure_score import ScorePoint
from shared.service.app import App

__all__ = ["LicenseReportRow", "ScoreTrend", "license_report", "score_trend", "secure_score_trend"]

# A change over N days compares the latest score with the score N days before it; a day or two
# without a full pass (no point that day) falls back to the last point up to this much earlier.
TREND_SLACK = timedelta(days=2)


class LicenseReportRow(SkuUsage):
    tenant_name: str | None = None


class ScoreTrend(WireModel):
    client_id: str
    latest: ScorePoint | None = None
    change_7_days: float | None = None
    change_30_days: float | None = None
    history: list[ScorePoint]


async def license_report(app: App, tenant_id: str | None = None) -> list[LicenseReportRow]:
    """Every tenant's licence usage as of its last full pass (or one tenant's), by tenant name then SKU."""
    tenants = {t.tenant_id: t for t in await app.tenants.list()}
    if tenant_id is not None and not is_storage_key(tenant_id):
        raise ValidationFailed(f"tenantId {tenant_id!r} cannot be used as a storage key", field="tenantId")
    if tenant_id is not None and tenant_id not in tenants:
        raise NotFound(f"tenant {tenant_id} not found")
    rows = [
        LicenseReportRow.model_validate(
            {**row.model_dump(), "tenant_name": t.display_name if (t := tenants.get(row.tenant_id)) else None}
        )
        for row in await app.licenses.list(tenant_id)
    ]
    return sorted(rows, key=lambda r: ((r.tenant_name or "").lower(), r.tenant_id, (r.sku_part_number or "").lower()))


async def secure_score_trend(app: App, client_id: str) -> ScoreTrend:
    if await app.psa.get_client(client_id) is None:
        raise NotFound(f"client {client_id} not found")
    return score_trend(client_id, await app.secure_scores.history(client_id))


def score_trend(client_id: str, history: Sequence[ScorePoint]) -> ScoreTrend:
    """The daily history, the latest point, and its change over 7 and 30 days where a point of the same
    tenant exists that far back (within TREND_SLACK); None when it does not."""
    points = sorted(history, key=lambda p: p.date)
    if not points:
        return ScoreTrend(client_id=client_id, history=[])
    latest = points[-1]
    same_tenant = [p for p in points if p.tenant_id == latest.tenant_id]

    def change(days: int) -> float | None:
        target = latest.date - timedelta(days=days)
        earlier = [p for p in same_tenant if target - TREND_SLACK <= p.date <= target]
        return round(latest.current_score - earlier[-1].current_score, 2) if earlier else None

    return ScoreTrend(
        client_id=client_id, latest=latest, change_7_days=change(7), change_30_days=change(30), history=points
    )
