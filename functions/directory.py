"""The PSA's clients and contacts, as the app sees them (the built-in directory, or a connected PSA)."""

from __future__ import annotations

import azure.functions as func

from functions.http import json_response, serve
from shared.bootstrap import App
from shared.errors import NotFound

bp = func.Blueprint()


@bp.route(route="clients", methods=["GET"], auth_level=func.AuthLevel.FUNCTION)
async def list_clients(req: func.HttpRequest) -> func.HttpResponse:
    async def handle(app: App) -> func.HttpResponse:
        return json_response(await app.psa.list_clients())

    return await serve(handle)


@bp.route(route="clients/{clientId}/contacts", methods=["GET"], auth_level=func.AuthLevel.FUNCTION)
async def list_contacts(req: func.HttpRequest) -> func.HttpResponse:
    async def handle(app: App) -> func.HttpResponse:
        client_id = req.route_params["clientId"]
        if await app.psa.get_client(client_id) is None:
            raise NotFound(f"client {client_id} not found")
        return json_response(await app.psa.list_contacts(client_id))

    return await serve(handle)
