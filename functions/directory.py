"""The PSA's clients and contacts, as the app sees them (the built-in directory, or a connected PSA)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter

from functions.deps import CurrentApp
from functions.errors import responses
from functions.inputs import path_id
from functions.openapi import DocumentedRoute
from shared.models import PsaClient, PsaContact
from shared.service.directory import client_contacts, list_clients

__all__ = ["router"]

router = APIRouter(tags=["directory"], route_class=DocumentedRoute)


@router.get("/clients", responses=responses(502))
async def get_clients(app: CurrentApp) -> list[PsaClient]:
    """The PSA's clients."""
    return await list_clients(app)


@router.get("/clients/{clientId}/contacts", responses=responses(400, 404, 502))
async def get_contacts(app: CurrentApp, client_id: Annotated[str, path_id("clientId")]) -> list[PsaContact]:
    """A client's contacts."""
    return await client_contacts(app, client_id)
