"""What every route may take: the process's App, built and its storage ensured on first use."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from shared.bootstrap import App, get_app

__all__ = ["CurrentApp"]


async def _current_app() -> App:
    return await get_app()


CurrentApp = Annotated[App, Depends(_current_app)]
