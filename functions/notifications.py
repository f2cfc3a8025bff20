"""POST /api/notifications/users and /api/notifications/lifecycle: Microsoft Graph's change and
lifecycle notifications (issue 15).

Excluded from App Service Authentication (Graph signs in nowhere): each notification's clientState,
checked against its subscription's in constant time, is the authentication. Graph's validation
request (`?validationToken=...`, when a subscription is made) is answered with the token as
text/plain, before anything else is read. Everything else is answered 202 at once, whatever it held:
what could not be checked is dropped and counted, and the sender is told nothing more. No sync here:
a checked change marks its tenant for a coalesced delta pass (shared.service.coalesce).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import PlainTextResponse

from functions.errors import responses
from functions.openapi import DocumentedRoute
from shared.bootstrap import get_app
from shared.service.notifications import MAX_BODY, receive_changes, receive_lifecycle

__all__ = ["router"]

router = APIRouter(tags=["notifications"], route_class=DocumentedRoute)

ValidationToken = Annotated[
    str | None,
    Query(
        alias="validationToken",
        max_length=4096,
        description="Graph's validation request when a subscription is made: answered with this token",
    ),
]
_ANSWERS: dict[int | str, dict[str, Any]] = {
    200: {"description": "The validationToken, echoed", "content": {"text/plain": {"schema": {"type": "string"}}}},
    202: {"description": "Received (checked items mark their tenant for a pass; the rest are dropped)"},
    **responses(503),
}


def _echo(token: str) -> Response:
    # text/plain and nosniff: the token is the caller's text, never rendered as a page.
    return PlainTextResponse(token, 200, headers={"X-Content-Type-Options": "nosniff"})


async def _body(request: Request) -> bytes:
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY:
            return b""  # too large to be Graph's: unreadable, dropped
        chunks.append(chunk)
    return b"".join(chunks)


@router.post(
    "/notifications/users",
    status_code=202,
    response_class=Response,
    summary="Microsoft Graph's change notifications for users",
    responses=_ANSWERS,
    openapi_extra={"security": []},
)
async def user_notifications(request: Request, validation_token: ValidationToken = None) -> Response:
    if validation_token is not None:
        return _echo(validation_token)
    await receive_changes(await get_app(), await _body(request))
    return Response(status_code=202)


@router.post(
    "/notifications/lifecycle",
    status_code=202,
    response_class=Response,
    summary="Microsoft Graph's lifecycle notifications (reauthorizationRequired, subscriptionRemoved, missed)",
    responses=_ANSWERS,
    openapi_extra={"security": []},
)
async def lifecycle_notifications(request: Request, validation_token: ValidationToken = None) -> Response:
    if validation_token is not None:
        return _echo(validation_token)
    await receive_lifecycle(await get_app(), await _body(request))
    return Response(status_code=202)
