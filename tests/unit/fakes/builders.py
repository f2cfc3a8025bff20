"""Small builders for the service unit tests: Entra users, PSA contacts, a mapped tenant in a fake app,
and a tenant's plan made by the real planner from what the fakes hold."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from shared.models import (
    AssignedLicense,
    EntraUser,
    Mapping,
    MappingStatus,
    PsaClient,
    PsaContact,
    SyncSettings,
    Tenant,
)
from shared.service.app import App
from shared.sync.facts import FactsInputs
from shared.sync.inputs import TenantInputs
from shared.sync.plan import TenantPlan
from shared.sync.planner import plan_tenant

__all__ = ["BASIC", "CLIENT", "TENANT", "contact", "entra_user", "map_tenant", "plan_for"]

TENANT, CLIENT = "t-contoso", "c-contoso"
BASIC = "3b555118-da6a-4418-894f-7df1e2096870"  # Microsoft 365 Business Basic
FACTS = FactsInputs(sku_part_numbers={BASIC: "O365_BUSINESS_ESSENTIALS"}, entra_p1=True, mfa={})


def entra_user(user_id: str, local: str | None = None, **values: Any) -> EntraUser:
    """A licensed member user `local`@contoso.example (the local part defaults to the id)."""
    name = local or user_id
    base: dict[str, Any] = {
        "id": user_id,
        "display_name": name.replace(".", " ").title(),
        "given_name": name.split(".")[0].title(),
        "surname": name.split(".")[-1].title(),
        "mail": f"{name}@contoso.example",
        "user_principal_name": f"{name}@contoso.example",
        "user_type": "Member",
        "assigned_licenses": [AssignedLicense(sku_id=BASIC)],
    }
    return EntraUser.model_validate(base | values)


def contact(contact_id: str, local: str, client_id: str = CLIENT, **values: Any) -> PsaContact:
    first, last = local.split(".")[0].title(), local.split(".")[-1].title()
    base: dict[str, Any] = {
        "id": contact_id,
        "client_id": client_id,
        "first_name": first,
        "last_name": last,
        "email": f"{local}@contoso.example",
        "upn": "",
    }
    return PsaContact.model_validate(base | values)


async def map_tenant(app: App, tenant_id: str = TENANT, client_id: str = CLIENT) -> None:
    """The tenant discovered and confirmed to its client, and the client in the PSA."""
    await app.tenants.save_many([Tenant(tenant_id=tenant_id, display_name=tenant_id, domains=["contoso.example"])])
    await app.mappings.save(Mapping(tenant_id=tenant_id, status=MappingStatus.CONFIRMED, client_id=client_id))
    await app.mappings.claim_client(client_id, tenant_id)
    clients = getattr(app.psa, "clients", None)
    if isinstance(clients, dict) and client_id not in clients:
        clients[client_id] = PsaClient(id=client_id, name=client_id, website="contoso.example")


async def plan_for(
    app: App,
    users: Sequence[EntraUser],
    *,
    tenant_id: str = TENANT,
    client_id: str = CLIENT,
    facts: FactsInputs | None = FACTS,
    settings: SyncSettings | None = None,
    complete: bool = True,
) -> TenantPlan:
    """The real planner's plan for `users` against what the app's PSA and stores hold now."""
    return plan_tenant(
        TenantInputs(
            tenant_id=tenant_id,
            client_id=client_id,
            users=users,
            complete=complete,
            contacts=await app.psa.list_contacts(client_id),
            links=await app.links.for_tenant(tenant_id),
            ambiguities=await app.ambiguities.for_tenant(tenant_id),
            settings=settings or SyncSettings(),
            facts=facts,
        )
    )
