"""What needs an operator (worst first), and the tenants the safety brake holds."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from functions.auth import authorize
from functions.deps import CurrentApp
from functions.errors import responses
from shared.service.attention import AttentionItem, needs_attention
from shared.service.brakes import HeldBrake, held_brakes

__all__ = ["router"]

router = APIRouter(
    prefix="/api", tags=["attention"], dependencies=[Depends(authorize)], responses=responses(401, 403, 503)
)


@router.get(
    "/attention",
    summary="What needs an operator, worst first: unreachable tenants, repeated run failures, held brakes, "
    "open review items, unmapped tenants; each item names its tenants and clients and one action",
)
async def attention(app: CurrentApp) -> list[AttentionItem]:
    return await needs_attention(app)


@router.get(
    "/brakes",
    summary="Tenants whose inactivations the safety brake holds, with the users concerned; approve with "
    "POST /api/tenants/{tenantId}/approve-inactivations",
)
async def brakes(app: CurrentApp) -> list[HeldBrake]:
    return await held_brakes(app)
