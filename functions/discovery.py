"""Discovery on demand, the known tenants, and tenant-by-tenant registration."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter
from pydantic import BaseModel, Field

from functions.deps import CurrentApp
from functions.errors import responses
from functions.inputs import json_body
from functions.openapi import DocumentedRoute
from shared.models import Tenant
from shared.service.tenants import DiscoveryReport, discover_and_suggest, list_tenants, register_and_suggest

__all__ = ["RegisterTenantBody", "router"]

router = APIRouter(tags=["tenants"], route_class=DocumentedRoute)

GUID = r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"


class RegisterTenantBody(BaseModel):
    tenant_id: str = Field(alias="tenantId", pattern=GUID)


@router.post("/discovery", responses=responses(502))
async def run_discovery(app: CurrentApp) -> DiscoveryReport:
    """Discover the managed tenants and refresh the mapping suggestions."""
    return await discover_and_suggest(app)


@router.get("/tenants")
async def get_tenants(app: CurrentApp) -> list[Tenant]:
    """Every known customer tenant with its domains and connection health."""
    return await list_tenants(app)


@router.post("/tenants", status_code=201, responses=responses(400, 502))
async def add_tenant(app: CurrentApp, body: Annotated[RegisterTenantBody, json_body(RegisterTenantBody)]) -> Tenant:
    """Register a tenant by id (tenant-by-tenant mode), once its administrator has consented."""
    return await register_and_suggest(app, body.tenant_id)
