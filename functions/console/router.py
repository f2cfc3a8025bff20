"""The console's page at `/` and its static assets under `/console/`: plain ES modules and CSS, no
build step. The page calls the JSON API only; the API routes it needed beyond the core's are
included here too."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, HTTPException
from fastapi.responses import FileResponse

from functions.console import attention, consent, exports

__all__ = ["STATIC", "router"]

STATIC = Path(__file__).resolve().parent / "static"
_TYPES = {
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".html": "text/html; charset=utf-8",
}
# The page loads only what it serves itself; the admin-consent link is a top-level navigation.
_SECURITY = {
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-cache",  # revalidate: a deployment's new modules are picked up at once
}

router = APIRouter()
router.include_router(consent.router)
router.include_router(attention.router)
router.include_router(exports.router)


@router.get("/", include_in_schema=False)
async def console_page() -> FileResponse:
    return FileResponse(STATIC / "index.html", media_type=_TYPES[".html"], headers=_SECURITY)


@router.get("/console/{asset:path}", include_in_schema=False)
async def console_asset(asset: str) -> FileResponse:
    path = (STATIC / asset).resolve()
    if not path.is_relative_to(STATIC) or not path.is_file() or path.suffix not in _TYPES:
        raise HTTPException(status_code=404, detail="no such console asset")
    return FileResponse(path, media_type=_TYPES[path.suffix], headers=_SECURITY)
