"""GET /api/openapi.json: the HTTP API, described from the same pydantic models the routes validate with."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import azure.functions as func
from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from functions.ambiguities import ApproveInactivationsBody, ResolveAmbiguityBody
from functions.discovery import RegisterTenantBody
from functions.http import json_response
from functions.licenses import CSV_COLUMNS
from functions.mappings import MappingDecisionBody
from functions.runs import RunPage, RunStarted, StartRunBody
from functions.webhook import PsaEventBody
from shared.models import (
    Ambiguity,
    FieldControls,
    Filters,
    Mapping,
    PsaClient,
    PsaContact,
    RunRecord,
    SafetyBrake,
    Tenant,
)
from shared.security import SIGNATURE_HEADER, TIMESTAMP_HEADER
from shared.service.reports import LicenseReportRow, ScoreTrend
from shared.service.settings import ExclusionsInput, FieldControlsInput, FiltersInput, SafetyBrakeInput

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
    query: tuple[tuple[str, str], ...] = ()  # (name, description) of optional query parameters
    signed: bool = False  # anonymous at the platform, authenticated by the HMAC signature headers instead


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
    Operation(
        "get",
        "/clients/{clientId}/secure-score",
        "The client's daily Secure Score history, the latest point, and the change over 7 and 30 days "
        "(null when no score that old is known)",
        ScoreTrend,
        errors=(404,),
    ),
    Operation(
        "get",
        "/licenses",
        "Unused licences, per tenant and SKU, as of each tenant's last full pass: prepaid, consumed, available, "
        "held by disabled users, and held by enabled users with no sign-in in 30 / 90 days (null without "
        "Entra ID P1: unknown). format=csv: text/csv with a header row of "
        + ", ".join(header for header, _ in CSV_COLUMNS),
        LicenseReportRow,
        True,
        errors=(400, 404),
        query=(("tenantId", "one tenant only"), ("format", "json (default) or csv")),
    ),
    Operation(
        "post",
        "/runs",
        "Start a run (initial, all-tenants, or one tenant; dryRun writes nothing but the run record); "
        "joins the running run of the same scope instead of starting a second",
        RunStarted,
        body=StartRunBody,
        errors=(400, 404, 409),
        status=202,
    ),
    Operation(
        "get",
        "/runs",
        "Runs, newest first, a page at a time",
        RunPage,
        errors=(400,),
        query=(("limit", "page size, 1-100 (default 20)"), ("after", "the `next` of the previous page")),
    ),
    Operation(
        "get",
        "/runs/{runId}",
        "A run: per-tenant status and counts, and every user's outcome with its reason",
        RunRecord,
        errors=(400, 404),
    ),
    Operation(
        "get",
        "/ambiguities",
        "Users the sync could not match to one contact",
        Ambiguity,
        True,
        errors=(400,),
        query=(("status", "open, resolved or dismissed (default: all)"),),
    ),
    Operation(
        "post",
        "/ambiguities/{tenantId}/{userId}",
        "Resolve an ambiguity: link to an existing contact of the tenant's client, create a new one, or dismiss",
        Ambiguity,
        body=ResolveAmbiguityBody,
        errors=(400, 404, 409, 502),
    ),
    Operation(
        "post",
        "/tenants/{tenantId}/approve-inactivations",
        "Approve the inactivations the safety brake held: a tenant run applies those that still hold",
        RunRecord,
        body=ApproveInactivationsBody,
        errors=(400, 404, 409),
        status=202,
    ),
    *(
        op
        for path, model, body, summary in (
            ("field-controls", FieldControls, FieldControlsInput, "Which fields a sync may overwrite"),
            ("filters", Filters, FiltersInput, "Which users are considered"),
            ("exclusions", ExclusionsInput, ExclusionsInput, "Exclusion patterns (anchored regular expressions)"),
            ("safety-brake", SafetyBrake, SafetyBrakeInput, "When a tenant's inactivations are held"),
        )
        for op in (
            Operation(
                "get",
                f"/settings/{path}",
                f"{summary}. With tenantId: {{tenantId, effective, overrides}} for that tenant",
                model,
                errors=(400, 404),
                query=(("tenantId", "a tenant: its effective settings and its overrides"),),
            ),
            Operation(
                "put",
                f"/settings/{path}",
                f"{summary}. Global: replaces the section. With tenantId: the tenant's overrides, merged over "
                "the global values key by key ({} drops them; a filter set to null is lifted)",
                model,
                body=body,
                errors=(400, 404),
                query=(("tenantId", "store overrides for this tenant"),),
            ),
        )
    ),
    Operation(
        "post",
        "/webhooks/psa",
        f"The PSA's change notification: starts a tenant run (tenantId, or a mapped clientId) or an all-tenants "
        f"run. Signed: {TIMESTAMP_HEADER} = unix seconds, {SIGNATURE_HEADER} = 'sha256=' + hex HMAC-SHA256 of "
        "timestamp + '.' + raw body with WEBHOOK_SECRET; refused if more than 5 minutes old",
        RunStarted,
        body=PsaEventBody,
        errors=(400, 401, 404, 503),
        status=202,
        signed=True,
    ),
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
    parameters = [{"name": p, "in": "path", "required": True, "schema": {"type": "string"}} for p in params]
    parameters += [
        {"name": name, "in": "query", "required": False, "description": text, "schema": {"type": "string"}}
        for name, text in op.query
    ]
    if op.signed:
        parameters += [
            {"name": header, "in": "header", "required": True, "schema": {"type": "string"}}
            for header in (TIMESTAMP_HEADER, SIGNATURE_HEADER)
        ]
        out["security"] = []
    if parameters:
        out["parameters"] = parameters
    if op.body is not None:
        out["requestBody"] = {"required": True, "content": {"application/json": {"schema": refs[op.body]}}}
    return out


_ERRORS = {
    400: "The body is invalid: error.field and error.message say which field and why",
    401: "Bad or missing signature",
    404: "Unknown id",
    409: "Conflicts with the current state (e.g. the client is mapped to another tenant)",
    502: "Microsoft Graph or the PSA refused or failed",
    503: "Not configured (e.g. WEBHOOK_SECRET is missing) or storage is unavailable",
}


@bp.route(route="openapi.json", methods=["GET"], auth_level=func.AuthLevel.ANONYMOUS)
async def openapi(req: func.HttpRequest) -> func.HttpResponse:
    return json_response(openapi_document())
