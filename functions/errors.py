"""Every HTTP error answer, in one place: the app's error tree and FastAPI's own refusals mapped to a
status code, each as `{"error": {"code": ..., "message": ..., "field"?: ...}}`.

    ValidationFailed, a bad query, path or header value   400  (field: which one)
    no signed-in principal, a bad webhook signature        401
    a role the principal lacks                             403
    NotFound, an unknown route                             404
    Conflict                                               409
    GraphError, PsaError                                   502
    StorageError, ConfigError                              503  (the message names what is unavailable)

FastAPI's 422 never leaves the app: a RequestValidationError is a 400 like any bad input.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException

from functions.text import printable
from shared.errors import (
    ConfigError,
    Conflict,
    GraphError,
    NotFound,
    PsaError,
    StorageError,
    SyncError,
    ValidationFailed,
)

__all__ = ["ErrorBody", "error_response", "install", "responses", "status_of"]

log = logging.getLogger(__name__)

_STATUS: tuple[tuple[type[SyncError], int], ...] = (
    (ValidationFailed, 400),
    (NotFound, 404),
    (Conflict, 409),
    (GraphError, 502),
    (PsaError, 502),
    (StorageError, 503),  # storage unreachable or refusing: the message names the storage setting
    (ConfigError, 503),  # a missing or unresolved setting: the message names it
)
_CODES = {
    400: "bad-request",
    401: "unauthorized",
    403: "forbidden",
    404: "not-found",
    405: "method-not-allowed",
    409: "conflict",
    502: "upstream",
    503: "unavailable",
}
_MEANING = {
    400: "Bad input: error.field and error.message say which value and why",
    401: "Not signed in (no principal from App Service Authentication), or a bad webhook signature",
    403: "The signed-in principal lacks the role: reader may read (GET), admin may do everything",
    404: "Unknown id",
    409: "Conflicts with the current state (e.g. the client is mapped to another tenant)",
    502: "Microsoft Graph or the PSA refused or failed",
    503: "Unavailable: storage, or a setting that is missing (the message names it)",
}


class ErrorDetail(BaseModel):
    code: str
    message: str
    field: str | None = None  # the input the message is about, when it is one


class ErrorBody(BaseModel):
    error: ErrorDetail


def error_response(
    status: int, message: str, *, field: str | None = None, headers: Mapping[str, str] | None = None
) -> JSONResponse:
    detail = ErrorDetail(code=_CODES.get(status, "error"), message=message, field=field)
    return JSONResponse(ErrorBody(error=detail).model_dump(exclude_none=True), status, headers=headers)


def responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The documented error answers of a route, for FastAPI's `responses=`."""
    return {status: {"model": ErrorBody, "description": _MEANING[status]} for status in statuses}


def status_of(exc: SyncError) -> int:
    return next((status for kind, status in _STATUS if isinstance(exc, kind)), 500)


async def _app_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, SyncError)
    status = status_of(exc)
    if status >= 500:
        log.warning("%s %s: %s: %s", request.method, request.url.path, type(exc).__name__, printable(str(exc)))
    field = exc.field if isinstance(exc, ValidationFailed) else None
    return error_response(status, str(exc), field=field)


async def _bad_request(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    first: dict[str, Any] = next(iter(exc.errors()), {})
    if first.get("type") == "json_invalid":
        return error_response(400, "body is not valid JSON")
    loc = [str(p) for p in first.get("loc", ())]
    # ("query", "limit"), ("path", "tenantId", <a union member's tag>): the parameter is the field.
    field = loc[1] if len(loc) > 1 and loc[0] in ("query", "path", "header", "cookie") else ".".join(loc) or None
    message = str(first.get("msg", "invalid input")).removeprefix("Value error, ")
    return error_response(400, f"{field}: {message}" if field else message, field=field)


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPException)
    message = exc.detail if isinstance(exc.detail, str) else _MEANING.get(exc.status_code, "error")
    return error_response(exc.status_code, message, headers=exc.headers)


def install(api: FastAPI) -> None:
    api.add_exception_handler(SyncError, _app_error)
    api.add_exception_handler(RequestValidationError, _bad_request)
    api.add_exception_handler(HTTPException, _http_error)
