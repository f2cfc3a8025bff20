"""The customer tenants as an operator sees them: the list, discovery followed by fresh mapping
suggestions, and registering one by id (tenant-by-tenant mode)."""

from __future__ import annotations

from shared.models import Mapping, Tenant
from shared.models.base import WireModel
from shared.service.app import App
from shared.service.discovery import discover, register_tenant
from shared.service.mappings import refresh_suggestions

__all__ = ["DiscoveryReport", "discover_and_suggest", "list_tenants", "register_and_suggest"]


class DiscoveryReport(WireModel):
    found: int  # tenants the partner manages now
    left: int  # tenants marked as no longer managed in this pass
    tenants: list[Tenant]
    mappings: list[Mapping]  # the suggestions refreshed after the pass


async def list_tenants(app: App) -> list[Tenant]:
    return await app.tenants.list()


async def discover_and_suggest(app: App) -> DiscoveryReport:
    result = await discover(app)
    mappings = await refresh_suggestions(app)
    return DiscoveryReport(found=result.found, left=result.left, tenants=result.tenants, mappings=mappings)


async def register_and_suggest(app: App, tenant_id: str) -> Tenant:
    tenant = await register_tenant(app, tenant_id)
    await refresh_suggestions(app)
    return tenant
