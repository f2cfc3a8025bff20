"""What the sync left to a person: ambiguous matches (R6) and inactivations held by the safety brake (R5.5)."""

from __future__ import annotations

from typing import Literal

import azure.functions as func
from pydantic import BaseModel, Field, model_validator

from functions.http import json_response, parse_body, serve
from shared.bootstrap import App
from shared.errors import ValidationFailed
from shared.models import AmbiguityStatus
from shared.service.ambiguities import Resolution, approve_inactivations, list_ambiguities, resolve

bp = func.Blueprint()


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


def _status(req: func.HttpRequest) -> AmbiguityStatus | None:
    value = req.params.get("status")
    if value is None or value == "all":
        return None
    try:
        return AmbiguityStatus(value)
    except ValueError:
        allowed = ", ".join(s.value for s in AmbiguityStatus)
        raise ValidationFailed(f"status must be one of {allowed} (or omitted for all)", field="status") from None


@bp.route(route="ambiguities", methods=["GET"], auth_level=func.AuthLevel.FUNCTION)
async def get_ambiguities(req: func.HttpRequest) -> func.HttpResponse:
    async def handle(app: App) -> func.HttpResponse:
        return json_response(await list_ambiguities(app, _status(req)))

    return await serve(handle)


@bp.route(route="ambiguities/{tenantId}/{userId}", methods=["POST"], auth_level=func.AuthLevel.FUNCTION)
async def post_ambiguity(req: func.HttpRequest) -> func.HttpResponse:
    async def handle(app: App) -> func.HttpResponse:
        body = parse_body(req, ResolveAmbiguityBody)
        ambiguity = await resolve(
            app,
            req.route_params["tenantId"],
            req.route_params["userId"],
            Resolution(body.action),
            contact_id=body.contact_id,
            by=body.resolved_by or "api",
        )
        return json_response(ambiguity)

    return await serve(handle)


@bp.route(route="tenants/{tenantId}/approve-inactivations", methods=["POST"], auth_level=func.AuthLevel.FUNCTION)
async def post_approve_inactivations(req: func.HttpRequest) -> func.HttpResponse:
    async def handle(app: App) -> func.HttpResponse:
        body = parse_body(req, ApproveInactivationsBody)
        run = await approve_inactivations(app, req.route_params["tenantId"], by=body.approved_by or "api")
        return json_response(run, 202, headers={"Location": f"/api/runs/{run.run_id}"})

    return await serve(handle)
