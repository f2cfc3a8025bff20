"""Change notifications as an operator sees them: each confirmed tenant's Graph subscription or why
Graph refused one (a refused tenant is synced by the hourly delta only), and a "try again"."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter

from functions.deps import CurrentApp
from functions.errors import responses
from functions.inputs import path_id
from functions.openapi import DocumentedRoute
from shared.service.subscription_report import (
    SubscriptionsReport,
    SubscriptionView,
    subscribe_now,
    subscriptions_report,
)

__all__ = ["router"]

router = APIRouter(tags=["notifications"], route_class=DocumentedRoute)
TenantId = Annotated[str, path_id("tenantId")]


@router.get("/subscriptions")
async def get_subscriptions(app: CurrentApp) -> SubscriptionsReport:
    """Per confirmed tenant, its change-notification subscription (active, refused with why, or none yet)."""
    return await subscriptions_report(app)


@router.post("/subscriptions/{tenantId}", responses=responses(400, 404, 409))
async def post_subscription(app: CurrentApp, tenant_id: TenantId) -> SubscriptionView:
    """Subscribe a confirmed tenant to its user changes now (after Graph refused, once the cause is fixed)."""
    return await subscribe_now(app, tenant_id)
