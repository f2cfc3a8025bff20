"""The PSA's clients and contacts as the app sees them (the built-in directory, or a connected PSA)."""

from __future__ import annotations

from shared.errors import NotFound
from shared.models import PsaClient, PsaContact
from shared.service.app import App

__all__ = ["client_contacts", "list_clients"]


async def list_clients(app: App) -> list[PsaClient]:
    return await app.psa.list_clients()


async def client_contacts(app: App, client_id: str) -> list[PsaContact]:
    if await app.psa.get_client(client_id) is None:
        raise NotFound(f"client {client_id} not found")
    return await app.psa.list_contacts(client_id)
