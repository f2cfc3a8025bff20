"""Discovery: on demand, daily, and tenant-by-tenant registration."""

from __future__ import annotations

import logging

import azure.functions as func
from pydantic import BaseModel, Field

from functions.http import json_response, parse_body, serve
from shared.bootstrap import App, get_app
from shared.service.discovery import discover, register_tenant
from shared.service.mappings import refresh_suggestions

bp = func.Blueprint()
log = logging.getLogger(__name__)

GUID = r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"


class RegisterTenantBody(BaseModel):
    tenant_id: str = Field(alias="tenantId", pattern=GUID)


async def _discover_and_suggest(app: App) -> dict[str, object]:
    result = await discover(app)
    mappings = await refresh_suggestions(app)
    return {"found": result.found, "left": result.left, "tenants": result.tenants, "mappings": mappings}


@bp.route(route="discovery", methods=["POST"], auth_level=func.AuthLevel.FUNCTION)
async def run_discovery(req: func.HttpRequest) -> func.HttpResponse:
    async def handle(app: App) -> func.HttpResponse:
        return json_response(await _discover_and_suggest(app))

    return await serve(handle)


@bp.timer_trigger(arg_name="timer", schedule="%DISCOVERY_SCHEDULE%", run_on_startup=False)
async def discovery_timer(timer: func.TimerRequest) -> None:
    result = await _discover_and_suggest(await get_app())
    log.info("daily discovery: %s tenants found, %s left", result["found"], result["left"])


@bp.route(route="tenants", methods=["GET"], auth_level=func.AuthLevel.FUNCTION)
async def list_tenants(req: func.HttpRequest) -> func.HttpResponse:
    async def handle(app: App) -> func.HttpResponse:
        return json_response(await app.tenants.list())

    return await serve(handle)


@bp.route(route="tenants", methods=["POST"], auth_level=func.AuthLevel.FUNCTION)
async def add_tenant(req: func.HttpRequest) -> func.HttpResponse:
    async def handle(app: App) -> func.HttpResponse:
        body = parse_body(req, RegisterTenantBody)
        tenant = await register_tenant(app, body.tenant_id)
        await refresh_suggestions(app)
        return json_response(tenant, 201)

    return await serve(handle)
