"""Microsoft 365 facts kept over time: a client's Secure Score trend."""

from __future__ import annotations

import azure.functions as func

from functions.http import json_response, serve
from shared.bootstrap import App
from shared.service.reports import secure_score_trend

__all__ = ["bp", "secure_score"]

bp = func.Blueprint()


@bp.route(route="clients/{clientId}/secure-score", methods=["GET"], auth_level=func.AuthLevel.FUNCTION)
async def secure_score(req: func.HttpRequest) -> func.HttpResponse:
    async def handle(app: App) -> func.HttpResponse:
        return json_response(await secure_score_trend(app, req.route_params["clientId"]))

    return await serve(handle)
