"""Tenant -> client mappings: list, decide (confirm / map / import / skip), unmap."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter
from pydantic import BaseModel, Field, model_validator

from functions.deps import CurrentApp, CurrentPrincipal, decided_by
from functions.errors import responses
from functions.inputs import json_body, path_id
from functions.openapi import DocumentedRoute
from shared.models import Mapping
from shared.service.mappings import Decision, decide, list_mappings, unmap

__all__ = ["MappingDecisionBody", "router"]

router = APIRouter(tags=["mappings"], route_class=DocumentedRoute)
TenantId = Annotated[str, path_id("tenantId")]


class MappingDecisionBody(BaseModel):
    model_config = {"extra": "forbid"}

    action: Literal["confirm", "map", "import", "skip"]
    client_id: str | None = Field(default=None, alias="clientId", min_length=1, max_length=256)
    decided_by: str | None = Field(default=None, alias="decidedBy", max_length=256)

    @model_validator(mode="after")
    def _client_for_map(self) -> MappingDecisionBody:
        if self.action == "map" and not self.client_id:
            raise ValueError("clientId is required when action is 'map'")
        return self


@router.get("/mappings")
async def get_mappings(app: CurrentApp) -> list[Mapping]:
    """Tenant -> client mappings and suggestions."""
    return await list_mappings(app)


@router.post("/mappings/{tenantId}", responses=responses(400, 404, 409, 502))
async def post_mapping(
    app: CurrentApp,
    principal: CurrentPrincipal,
    tenant_id: TenantId,
    body: Annotated[MappingDecisionBody, json_body(MappingDecisionBody)],
) -> Mapping:
    """Confirm, choose (map), import or skip a tenant's client (one client per tenant: 409 when taken)."""
    return await decide(
        app, tenant_id, Decision(body.action), client_id=body.client_id, by=decided_by(principal, body.decided_by)
    )


@router.delete("/mappings/{tenantId}", responses=responses(400, 404, 409))
async def delete_mapping(app: CurrentApp, principal: CurrentPrincipal, tenant_id: TenantId) -> Mapping:
    """Unmap a confirmed or skipped tenant."""
    return await unmap(app, tenant_id, by=decided_by(principal))
