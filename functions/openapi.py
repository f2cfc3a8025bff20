"""GET /api/openapi.json: the HTTP API, derived from the routes and the pydantic models they validate with.

FastAPI writes the document from the routes. `DocumentedRoute` (every router's `route_class`) adds
what FastAPI cannot see: the JSON body a route reads through `functions.inputs.JsonBody` (a dependency,
so that sign-in is checked before the body), and a summary from the docstring's first sentence.
`openapi_document` then puts those bodies' schemas in the components, answers bad input with the
400 every route gives instead of FastAPI's 422, and says how callers sign in.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.dependencies.models import Dependant
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute
from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from functions.errors import ErrorBody, responses
from functions.inputs import JsonBody

__all__ = ["TITLE", "VERSION", "DocumentedRoute", "openapi_document", "router"]

TITLE = "Entra -> PSA contact sync"
VERSION = "0.1.0"
DESCRIPTION = (
    "Keeps each MSP client's PSA contacts in step with its Microsoft Entra ID tenant. Callers sign in with Entra "
    'ID (the PSA webhook is signed instead). Every error is {"error": {"code", "message", "field"?}}.'
)
SIGN_IN = {
    "entraId": {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
        "description": "Entra ID: App Service Authentication signs people in (the console) and checks the access "
        "tokens scripts send (client credentials). App roles: reader may read (GET), admin may do everything.",
    }
}
_REF = "#/components/schemas/{model}"
_BODIES: dict[str, type[BaseModel]] = {}  # every JSON body model a DocumentedRoute reads, by schema name


def _body_model(dependant: Dependant) -> type[BaseModel] | None:
    for dependency in dependant.dependencies:
        if isinstance(dependency.call, JsonBody):
            return dependency.call.model
        found = _body_model(dependency)
        if found is not None:
            return found
    return None


class DocumentedRoute(APIRoute):
    """An APIRoute that documents its JsonBody and takes its summary from its docstring."""

    def __init__(self, path: str, endpoint: Any, **kwargs: Any) -> None:
        super().__init__(path, endpoint, **kwargs)
        if self.summary is None and self.description:
            self.summary = " ".join(self.description.split(".")[0].split())
        model = _body_model(self.dependant)
        if model is not None:
            if _BODIES.setdefault(model.__name__, model) is not model:
                raise RuntimeError(f"two body models are named {model.__name__}: rename one")
            required = any(field.is_required() for field in model.model_fields.values())
            content = {"application/json": {"schema": {"$ref": _REF.format(model=model.__name__)}}}
            self.openapi_extra = {
                "requestBody": {"required": required, "content": content},
                **(self.openapi_extra or {}),
            }


router = APIRouter(tags=["meta"], route_class=DocumentedRoute)


@router.get("/openapi.json", openapi_extra={"security": []})
async def openapi(request: Request) -> dict[str, Any]:
    """This document."""
    document: dict[str, Any] = request.app.openapi()
    return document


def openapi_document(api: FastAPI) -> dict[str, Any]:
    """The document of `api` (built once, then cached on the app, as FastAPI does)."""
    if api.openapi_schema:
        return api.openapi_schema
    document = get_openapi(title=TITLE, version=VERSION, routes=api.routes, description=DESCRIPTION)
    schemas: dict[str, Any] = document.setdefault("components", {}).setdefault("schemas", {})
    _, defs = models_json_schema([(model, "validation") for model in _BODIES.values()], ref_template=_REF)
    for name, schema in defs.get("$defs", {}).items():
        if schemas.setdefault(name, schema) != schema:
            raise RuntimeError(f"two different schemas are named {name}: rename one of the models")
    for operation in (op for path in document["paths"].values() for op in path.values()):
        answers = operation["responses"]
        if answers.pop("422", None) is not None or "requestBody" in operation:
            answers.setdefault("400", _error_answer(400))
    for unused in ("HTTPValidationError", "ValidationError"):
        schemas.pop(unused, None)
    document["components"]["securitySchemes"] = SIGN_IN
    document["security"] = [{name: []} for name in SIGN_IN]
    api.openapi_schema = document
    return document


def _error_answer(status: int) -> dict[str, Any]:
    return {
        "description": responses(status)[status]["description"],
        "content": {"application/json": {"schema": {"$ref": _REF.format(model=ErrorBody.__name__)}}},
    }
