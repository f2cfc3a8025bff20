"""Strict input at the HTTP boundary. A JSON body is validated in pydantic's strict mode (no coercion:
"5" is not 5, "off" is not false, 1 is not true); an empty body is `{}`. Ids in paths and queries are
Table Storage keys: no `/ \\ # ?` and no control characters.

Routes take a body as `body: Annotated[Model, json_body(Model)]`: a dependency (so it runs after the
sign-in check), which `functions.openapi` documents as the operation's request body.
"""

from __future__ import annotations

from typing import Annotated, Any, Generic, TypeVar

from fastapi import Depends, Path, Query, Request
from pydantic import AfterValidator, BaseModel, BeforeValidator, ValidationError

from shared.errors import ValidationFailed

__all__ = ["KEY", "KEY_OR_EMPTY", "JsonBody", "PageLimit", "TenantQuery", "json_body", "parse_json", "path_id"]

B = TypeVar("B", bound=BaseModel)

KEY = r"^[^/\\#?\x00-\x1f\x7f]+$"
KEY_OR_EMPTY = KEY.replace("+", "*")
MAX_PAGE = 100


def parse_json(model: type[B], raw: bytes) -> B:
    """Validate a JSON body strictly; a bad one raises ValidationFailed naming the field and the reason."""
    try:
        return model.model_validate_json(raw or b"{}", strict=True)
    except ValidationError as exc:
        first = exc.errors()[0]
        if first["type"] == "json_invalid":
            raise ValidationFailed(f"body is not valid JSON: {first['msg']}") from exc
        field = ".".join(str(p) for p in first["loc"]) or None
        message = first["msg"].removeprefix("Value error, ")
        raise ValidationFailed(f"{field}: {message}" if field else message, field=field) from exc


class JsonBody(Generic[B]):
    """The dependency that reads and validates a route's JSON body."""

    def __init__(self, model: type[B]) -> None:
        self.model = model

    async def __call__(self, request: Request) -> B:
        return parse_json(self.model, await request.body())


def json_body(model: type[B]) -> Any:
    return Depends(JsonBody(model))


def path_id(name: str) -> Any:
    """A path segment that names a stored row (`{tenantId}`, `{runId}`, ...)."""
    return Path(alias=name, min_length=1, max_length=256, pattern=KEY)


def _whole_number(value: object) -> object:
    # int("²") and int(" 5") succeed in Python; a page size is ASCII digits and nothing else.
    if isinstance(value, str) and not (value.isascii() and value.isdigit() and 1 <= int(value) <= MAX_PAGE):
        raise ValueError(f"must be a whole number from 1 to {MAX_PAGE}")
    return value


def _not_blank(value: str | None) -> str | None:
    if value is not None and not value.strip():
        raise ValueError("is empty")
    return value


# The constraints before the validator, or the document shows them as unknown keywords.
PageLimit = Annotated[int, Query(ge=1, le=MAX_PAGE, description="page size"), BeforeValidator(_whole_number)]
TenantQuery = Annotated[
    str | None,
    AfterValidator(_not_blank),
    Query(alias="tenantId", min_length=1, max_length=100, pattern=KEY),
]
