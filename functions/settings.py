"""Sync settings: field controls, filters, exclusions, safety brake; global, or per tenant with ?tenantId=.

Each section has the same two routes, GET and PUT /api/settings/<section>, built by `_section_routes`.
"""

# No `from __future__ import annotations`: the routes' annotations name `body_model`, a local of
# `_section_routes`, which FastAPI could not resolve from a string.
from typing import Annotated, Any

from fastapi import APIRouter
from pydantic import BaseModel

from functions.deps import CurrentApp
from functions.errors import responses
from functions.inputs import TenantQuery, json_body
from functions.openapi import DocumentedRoute
from shared.models import FieldControls, Filters, SafetyBrake
from shared.service.settings import (
    ExclusionsInput,
    FieldControlsInput,
    FiltersInput,
    SafetyBrakeInput,
    Section,
    SectionInput,
    TenantSettingsView,
    read_section,
    write_section,
)

__all__ = ["router"]

router = APIRouter(tags=["settings"], route_class=DocumentedRoute)


class ExclusionPatterns(BaseModel):
    """The exclusion patterns in effect (anchored regular expressions)."""

    patterns: list[str]


_TENANT = "With tenantId: {tenantId, effective, overrides} for that tenant."
_MERGE = (
    "Global: replaces the section. With tenantId: the tenant's overrides, merged over the global values key "
    "by key ({} drops them; a filter set to null is lifted)."
)


def _section_routes(section: Section, shown: type[BaseModel], body_model: type[SectionInput], summary: str) -> None:
    name = section.value.replace("-", "_")

    async def read(app: CurrentApp, tenant_id: TenantQuery = None) -> Any:
        return await read_section(app, section, tenant_id)

    async def write(
        app: CurrentApp, body: Annotated[SectionInput, json_body(body_model)], tenant_id: TenantQuery = None
    ) -> Any:
        return await write_section(app, body, tenant_id)

    path = f"/settings/{section.value}"
    shape: Any = shown | TenantSettingsView
    router.add_api_route(
        path,
        read,
        methods=["GET"],
        name=f"get_{name}",
        summary=summary,
        description=_TENANT,
        response_model=shape,
        responses=responses(400, 404),
    )
    router.add_api_route(
        path,
        write,
        methods=["PUT"],
        name=f"put_{name}",
        summary=summary,
        description=_MERGE,
        response_model=shape,
        responses=responses(400, 404),
    )


_section_routes(Section.FIELD_CONTROLS, FieldControls, FieldControlsInput, "Which fields a sync may overwrite")
_section_routes(Section.FILTERS, Filters, FiltersInput, "Which users are considered")
_section_routes(Section.EXCLUSIONS, ExclusionPatterns, ExclusionsInput, "Exclusion patterns (anchored regexes)")
_section_routes(Section.SAFETY_BRAKE, SafetyBrake, SafetyBrakeInput, "When a tenant's inactivations are held")
