"""Tenant -> client mappings: list, decide (confirm / map / import / skip), unmap."""

from __future__ import annotations

from typing import Literal

import azure.functions as func
from pydantic import BaseModel, Field, model_validator

from functions.http import json_response, parse_body, serve
from shared.bootstrap import App
from shared.service.mappings import Decision, decide, list_mappings, unmap

bp = func.Blueprint()


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


@bp.route(route="mappings", methods=["GET"], auth_level=func.AuthLevel.FUNCTION)
async def get_mappings(req: func.HttpRequest) -> func.HttpResponse:
    async def handle(app: App) -> func.HttpResponse:
        return json_response(await list_mappings(app))

    return await serve(handle)


@bp.route(route="mappings/{tenantId}", methods=["POST"], auth_level=func.AuthLevel.FUNCTION)
async def post_mapping(req: func.HttpRequest) -> func.HttpResponse:
    async def handle(app: App) -> func.HttpResponse:
        body = parse_body(req, MappingDecisionBody)
        mapping = await decide(
            app,
            req.route_params["tenantId"],
            Decision(body.action),
            client_id=body.client_id,
            by=body.decided_by or "api",
        )
        return json_response(mapping)

    return await serve(handle)


@bp.route(route="mappings/{tenantId}", methods=["DELETE"], auth_level=func.AuthLevel.FUNCTION)
async def delete_mapping(req: func.HttpRequest) -> func.HttpResponse:
    async def handle(app: App) -> func.HttpResponse:
        return json_response(await unmap(app, req.route_params["tenantId"], by="api"))

    return await serve(handle)
