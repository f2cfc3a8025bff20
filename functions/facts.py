"""Microsoft 365 facts kept over time: a client's Secure Score trend."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter

from functions.deps import CurrentApp
from functions.errors import responses
from functions.inputs import path_id
from functions.openapi import DocumentedRoute
from shared.service.reports import ScoreTrend, secure_score_trend

__all__ = ["router"]

router = APIRouter(tags=["reports"], route_class=DocumentedRoute)


@router.get("/clients/{clientId}/secure-score", responses=responses(400, 404, 502))
async def secure_score(app: CurrentApp, client_id: Annotated[str, path_id("clientId")]) -> ScoreTrend:
    """The client's daily Secure Score history, the latest point, and the change over 7 and 30 days
    (null when no score that old is known)."""
    return await secure_score_trend(app, client_id)
