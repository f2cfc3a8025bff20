"""HTTP plumbing shared by the blueprints: JSON in and out, and the one map from errors to status codes."""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar

import azure.functions as func
from pydantic import BaseModel, ValidationError

from shared.bootstrap import App, get_app
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

__all__ = ["error_response", "json_response", "parse_body", "serve"]

log = logging.getLogger(__name__)
B = TypeVar("B", bound=BaseModel)

_STATUS: tuple[tuple[type[SyncError], int], ...] = (
    (ValidationFailed, 400),
    (NotFound, 404),
    (Conflict, 409),
    (GraphError, 502),
    (PsaError, 502),
    (StorageError, 503),
    (ConfigError, 503),  # a missing or unresolved setting: the message names it
)


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> func.HttpResponse:
    return func.HttpResponse(_dumps(body), status_code=status, mimetype="application/json", headers=headers)


def error_response(status: int, message: str, *, field: str | None = None) -> func.HttpResponse:
    error: dict[str, Any] = {"code": _CODES.get(status, "error"), "message": message}
    if field:
        error["field"] = field
    return json_response({"error": error}, status)


_CODES = {
    400: "bad-request",
    401: "unauthorized",
    404: "not-found",
    409: "conflict",
    502: "upstream",
    503: "unavailable",
}


def parse_body(req: func.HttpRequest, model: type[B]) -> B:
    """Validate a JSON body; a bad one raises ValidationFailed naming the field and the reason."""
    raw = req.get_body()
    try:
        return model.model_validate_json(raw or b"{}")
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"]) or None
        if first["type"] == "json_invalid":
            raise ValidationFailed(f"body is not valid JSON: {first['msg']}") from exc
        raise ValidationFailed(f"{field}: {first['msg']}" if field else first["msg"], field=field) from exc


async def serve(handler: Callable[[App], Awaitable[func.HttpResponse]]) -> func.HttpResponse:
    """Run a handler with the app, turning the app's errors into HTTP answers in one place."""
    try:
        return await handler(await get_app())
    except SyncError as exc:
        for kind, status in _STATUS:
            if isinstance(exc, kind):
                field = exc.field if isinstance(exc, ValidationFailed) else None
                if status >= 500:
                    log.warning("%s: %s", type(exc).__name__, exc)
                return error_response(status, str(exc), field=field)
        log.exception("unexpected app error")
        return error_response(500, str(exc))


def _dumps(body: Any) -> str:
    if isinstance(body, BaseModel):
        return body.model_dump_json()
    if isinstance(body, Sequence) and not isinstance(body, str | bytes):
        return "[" + ",".join(_dumps(item) for item in body) + "]"
    if isinstance(body, dict):
        return "{" + ",".join(f"{json.dumps(str(k))}:{_dumps(v)}" for k, v in body.items()) + "}"
    return json.dumps(body, default=str)
