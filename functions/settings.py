"""Sync settings: field controls, filters, exclusions, safety brake; global, or per tenant with ?tenantId=."""

from __future__ import annotations

import azure.functions as func

from functions.http import json_response, parse_body, serve
from shared.bootstrap import App
from shared.errors import ValidationFailed
from shared.service.settings import (
    ExclusionsInput,
    FieldControlsInput,
    FiltersInput,
    SafetyBrakeInput,
    Section,
    SectionInput,
    read_section,
    write_section,
)

bp = func.Blueprint()


def _tenant(req: func.HttpRequest) -> str | None:
    tenant_id: str | None = req.params.get("tenantId")
    if tenant_id is not None and not tenant_id.strip():
        raise ValidationFailed("tenantId is empty", field="tenantId")
    return tenant_id


async def _get(req: func.HttpRequest, section: Section) -> func.HttpResponse:
    async def handle(app: App) -> func.HttpResponse:
        return json_response(await read_section(app, section, _tenant(req)))

    return await serve(handle)


async def _put(req: func.HttpRequest, body_model: type[SectionInput]) -> func.HttpResponse:
    async def handle(app: App) -> func.HttpResponse:
        return json_response(await write_section(app, parse_body(req, body_model), _tenant(req)))

    return await serve(handle)


@bp.route(route="settings/field-controls", methods=["GET"], auth_level=func.AuthLevel.FUNCTION)
async def get_field_controls(req: func.HttpRequest) -> func.HttpResponse:
    return await _get(req, Section.FIELD_CONTROLS)


@bp.route(route="settings/field-controls", methods=["PUT"], auth_level=func.AuthLevel.FUNCTION)
async def put_field_controls(req: func.HttpRequest) -> func.HttpResponse:
    return await _put(req, FieldControlsInput)


@bp.route(route="settings/filters", methods=["GET"], auth_level=func.AuthLevel.FUNCTION)
async def get_filters(req: func.HttpRequest) -> func.HttpResponse:
    return await _get(req, Section.FILTERS)


@bp.route(route="settings/filters", methods=["PUT"], auth_level=func.AuthLevel.FUNCTION)
async def put_filters(req: func.HttpRequest) -> func.HttpResponse:
    return await _put(req, FiltersInput)


@bp.route(route="settings/exclusions", methods=["GET"], auth_level=func.AuthLevel.FUNCTION)
async def get_exclusions(req: func.HttpRequest) -> func.HttpResponse:
    return await _get(req, Section.EXCLUSIONS)


@bp.route(route="settings/exclusions", methods=["PUT"], auth_level=func.AuthLevel.FUNCTION)
async def put_exclusions(req: func.HttpRequest) -> func.HttpResponse:
    return await _put(req, ExclusionsInput)


@bp.route(route="settings/safety-brake", methods=["GET"], auth_level=func.AuthLevel.FUNCTION)
async def get_safety_brake(req: func.HttpRequest) -> func.HttpResponse:
    return await _get(req, Section.SAFETY_BRAKE)


@bp.route(route="settings/safety-brake", methods=["PUT"], auth_level=func.AuthLevel.FUNCTION)
async def put_safety_brake(req: func.HttpRequest) -> func.HttpResponse:
    return await _put(req, SafetyBrakeInput)
