"""What the sync left to a person: ambiguous matches (R6) and inactivations held by the safety brake (R5.5)."""

from __future__ import annotations

from typing import Annotated, Literal, get_args

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, Field, model_validator

from functions.deps import CurrentApp, CurrentPrincipal, decided_by
from functions.errors import responses
from functions.inputs import json_body, path_id
from functions.openapi import DocumentedRoute
from shared.models import Ambiguity, AmbiguityStatus, RunRecord
from shared.service.ambiguities import Resolution, approve_inactivations, list_ambiguities, resolve

__all__ = ["ApproveInactivationsBody", "ResolveAmbiguityBody", "router"]

router = APIRouter(tags=["review"], route_class=DocumentedRoute)
TenantId = Annotated[str, path_id("tenantId")]
StatusFilter = Literal["open", "resolved", "dismissed", "all"]
assert set(get_args(StatusFilter)) == {*AmbiguityStatus, "all"}, "StatusFilter must list every AmbiguityStatus"


class ResolveAmbiguityBody(BaseModel):
    model_config = {"extra": "forbid"}

    action: Literal["existing", "new", "dismiss"]
    contact_id: str | None = Field(default=None, alias="contactId", min_length=1, max_length=256)
    resolved_by: str | None = Field(default=None, alias="resolvedBy", max_length=256)

    @model_validator(mode="after")
    def _contact_for_existing(self) -> ResolveAmbiguityBody:
        if self.action == "existing" and not self.contact_id:
            raise ValueError("contactId is required when action is 'existing'")
        if self.action != "existing" and self.contact_id:
            raise ValueError("contactId is only for action 'existing'")
        return self


class ApproveInactivationsBody(BaseModel):
    model_config = {"extra": "forbid"}

    approved_by: str | None = Field(default=None, alias="approvedBy", max_length=256)


@router.get("/ambiguities", responses=responses(400))
async def get_ambiguities(
    app: CurrentApp,
    status: Annotated[StatusFilter, Query(description="open, resolved or dismissed (default: all)")] = "all",
) -> list[Ambiguity]:
    """Users the sync could not match to one contact."""
    return await list_ambiguities(app, None if status == "all" else AmbiguityStatus(status))


@router.post("/ambiguities/{tenantId}/{userId}", responses=responses(400, 404, 409, 502))
async def post_ambiguity(
    app: CurrentApp,
    principal: CurrentPrincipal,
    tenant_id: TenantId,
    user_id: Annotated[str, path_id("userId")],
    body: Annotated[ResolveAmbiguityBody, json_body(ResolveAmbiguityBody)],
) -> Ambiguity:
    """Resolve an ambiguity: link to an existing contact of the tenant's client, create a new one, or dismiss."""
    return await resolve(
        app,
        tenant_id,
        user_id,
        Resolution(body.action),
        contact_id=body.contact_id,
        by=decided_by(principal, body.resolved_by),
    )


@router.post("/tenants/{tenantId}/approve-inactivations", status_code=202, responses=responses(400, 404, 409))
async def post_approve_inactivations(
    app: CurrentApp,
    principal: CurrentPrincipal,
    response: Response,
    tenant_id: TenantId,
    body: Annotated[ApproveInactivationsBody, json_body(ApproveInactivationsBody)],
) -> RunRecord:
    """Approve the inactivations the safety brake held: a tenant run applies those that still hold."""
    run = await approve_inactivations(app, tenant_id, by=decided_by(principal, body.approved_by))
    response.headers["Location"] = f"/api/runs/{run.run_id}"
    return run
