"""What every route may take: the process's App, built and its storage ensured on first use."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from functions.auth import Principal, authorize
from shared.bootstrap import App, get_app

__all__ = ["CurrentApp", "CurrentPrincipal", "decided_by"]


async def _current_app() -> App:
    return await get_app()


CurrentApp = Annotated[App, Depends(_current_app)]


# FastAPI runs a dependency once per request: the router's authorize and this one are the same call.
CurrentPrincipal = Annotated[Principal, Depends(authorize)]


def decided_by(principal: Principal, claimed: str | None = None) -> str:
    """Who a decision is recorded as: the signed-in caller, with the name a script gave, if any."""
    return principal.name if not claimed or claimed == principal.name else f"{principal.name} (for {claimed})"
