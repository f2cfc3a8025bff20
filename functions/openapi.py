"""GET /api/openapi.json: the HTTP API, described from the same pydantic models the routes validate with."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import azure.functions as func
from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from functions.discovery import RegisterTenantBody
from functions.http import json_response
from functions.mappings import MappingDecisionBody
from shared.models import Mapping, PsaClient, PsaContact, Tenant

bp = func.Blueprint()


@dataclass(frozen=True)
class Operation:
    method: str
    path: str
    summary: str
    response: type[BaseModel] | None = None
    many: bool = False
    body: type[BaseModel] | None = None
    errors: tuple[int, ...] = ()
    status: int = 200
    extra_responses: dict[int, str] = field(default_factory=dict)


OPERATIONS: tuple[Operation, ...] = (
    Operation("post", "/discovery", "Discover the managed tenants and refresh the mapping suggestions"),
    Operation("get", "/tenants", "Every known customer tenant with its domains and connection health", Tenant, True),
    Operation(
        "post",
        "/tenants",
        "Register a tenant by id (tenant-by-tenant mode)",
        Tenant,
        body=RegisterTenantBody,
        errors=(400,),
        status=201,
    ),
    Operation("get", "/mappings", "Tenant -> client mappings and suggestions", Mapping, True),
    Operation(
        "post",
        "/mappings/{tenantId}",
        "Confirm, choose (map), import or skip a tenant's client",
        Mapping,
        body=MappingDecisionBody,
        errors=(400, 404, 409),
    ),
    Operation("delete", "/mappings/{tenantId}", "Unmap a confirmed or skipped tenant", Mapping, errors=(404, 409)),
    Operation("get", "/clients", "The PSA's clients", PsaClient, True),
    Operation("get", "/clients/{clientId}/contacts", "A client's contacts", PsaContact, True, errors=(404,)),
    Operation("get", "/openapi.json", "This document"),
)


def openapi_document() -> dict[str, Any]:
    models = {m for op in OPERATIONS for m in (op.body, op.response) if m is not None}
    keyed, defs = models_json_schema(
        [(m, "validation") for m in sorted(models, key=lambda m: m.__name__)],
        ref_template="#/components/schemas/{model}",
    )
    refs = {model: keyed[(model, "validation")] for model in models}
    paths: dict[str, dict[str, Any]] = {}
    for op in OPERATIONS:
        paths.setdefault(op.path, {})[op.method] = _operation(op, refs)
    return {
        "openapi": "3.1.0",
        "info": {"title": "Entra -> PSA contact sync", "version": "0.1.0"},
        "servers": [{"url": "/api"}],
        "components": {
            "schemas": defs.get("$defs", {}),
            "securitySchemes": {"functionKey": {"type": "apiKey", "in": "header", "name": "x-functions-key"}},
        },
        "security": [{"functionKey": []}],
        "paths": paths,
    }


def _operation(op: Operation, refs: dict[type[BaseModel], Any]) -> dict[str, Any]:
    ok: dict[str, Any] = {"description": "OK"}
    if op.response is not None:
        schema = refs[op.response]
        ok["content"] = {"application/json": {"schema": {"type": "array", "items": schema} if op.many else schema}}
    responses: dict[str, Any] = {str(op.status): ok}
    for status in op.errors:
        responses[str(status)] = {"description": _ERRORS[status], "content": {"application/json": {}}}
    out: dict[str, Any] = {"summary": op.summary, "responses": responses}
    params = [p.strip("{}") for p in op.path.split("/") if p.startswith("{")]
    if params:
        out["parameters"] = [{"name": p, "in": "path", "required": True, "schema": {"type": "string"}} for p in params]
    if op.body is not None:
        out["requestBody"] = {"required": True, "content": {"application/json": {"schema": refs[op.body]}}}
    return out


_ERRORS = {
    400: "The body is invalid: error.field and error.message say which field and why",
    401: "Bad or missing signature",
    404: "Unknown id",
    409: "Conflicts with the current state (e.g. the client is mapped to another tenant)",
}


@bp.route(route="openapi.json", methods=["GET"], auth_level=func.AuthLevel.ANONYMOUS)
async def openapi(req: func.HttpRequest) -> func.HttpResponse:
    return json_response(openapi_document())
