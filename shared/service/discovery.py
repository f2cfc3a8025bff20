"""Discover the customer tenants the partner manages, and how each one's connection is doing."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

from shared.config import DiscoveryMode
from shared.errors import ConfigError, GraphError, GraphForbidden, TenantNotConsented
from shared.models import ConnectionHealth, Tenant, TenantSource
from shared.service.app import App
from shared.sync.domains import verified_domain_names

__all__ = ["DiscoveryResult", "discover", "register_tenant"]

log = logging.getLogger(__name__)
_PARALLEL_TENANTS = 8


@dataclass(frozen=True)
class DiscoveryResult:
    tenants: list[Tenant]  # every known tenant, sorted by id
    found: int  # tenants the partner manages now
    left: int  # tenants marked as no longer managed in this pass


async def discover(app: App) -> DiscoveryResult:
    """Find the tenants (GDAP and/or registered), read each one's verified domains, store them.

    One tenant that fails (not consented, forbidden, throttled past the retries) is recorded with its
    health and never stops the others. Re-running updates; tenants that left are marked, not deleted.
    """
    now = app.clock()
    mode = app.settings.discovery_mode
    known = {t.tenant_id: t for t in await app.tenants.list()}
    current: dict[str, Tenant] = {}
    if mode in (DiscoveryMode.GDAP, DiscoveryMode.BOTH):
        for tenant_id, name in (await _gdap_customers(app)).items():
            base = known.get(tenant_id) or Tenant(tenant_id=tenant_id, discovered_at=now)
            current[tenant_id] = base.model_copy(
                update={"display_name": name or base.display_name, "source": TenantSource.GDAP}
            )
    if mode in (DiscoveryMode.REGISTERED, DiscoveryMode.BOTH):
        for tenant in known.values():
            if tenant.source is TenantSource.REGISTERED and tenant.managed:
                current.setdefault(tenant.tenant_id, tenant)

    gate = asyncio.Semaphore(_PARALLEL_TENANTS)

    async def probe(tenant: Tenant) -> Tenant:
        async with gate:
            return await _read_organization(app, tenant)

    probed = await asyncio.gather(*(probe(t) for t in current.values()))
    seen = {t.tenant_id: t.model_copy(update={"managed": True, "left_at": None, "last_seen_at": now}) for t in probed}
    left = [
        t.model_copy(update={"managed": False, "left_at": t.left_at or now})
        for tid, t in known.items()
        if tid not in seen and t.managed and _sources_checked(mode, t)
    ]
    await app.tenants.save_many([*seen.values(), *left])
    log.info("discovery: %d tenants managed, %d left", len(seen), len(left))
    return DiscoveryResult(tenants=await app.tenants.list(), found=len(seen), left=len(left))


async def register_tenant(app: App, tenant_id: str) -> Tenant:
    """Tenant-by-tenant mode: a customer tenant added by id after its admin consented to the app."""
    now = app.clock()
    tenant = await app.tenants.get(tenant_id) or Tenant(
        tenant_id=tenant_id, source=TenantSource.REGISTERED, discovered_at=now
    )
    tenant = (await _read_organization(app, tenant)).model_copy(
        update={"managed": True, "left_at": None, "last_seen_at": now}
    )
    await app.tenants.save_many([tenant])
    return tenant


async def _gdap_customers(app: App) -> dict[str, str]:
    partner = app.settings.partner_tenant_id
    if not partner:
        raise ConfigError("PARTNER_TENANT_ID is required for GDAP discovery")
    relationships = await app.graph.tenant(partner).delegated_admin_relationships()
    customers: dict[str, str] = {}
    for rel in relationships:
        # The filter asks Graph for active ones; check again so a simulator or proxy cannot widen it.
        if rel.customer and (rel.status or "").lower() == "active":
            customers[rel.customer.tenant_id] = rel.customer.display_name or customers.get(rel.customer.tenant_id, "")
    return customers


async def _read_organization(app: App, tenant: Tenant) -> Tenant:
    try:
        org = await app.graph.tenant(tenant.tenant_id).organization()
    except TenantNotConsented as exc:
        return _unhealthy(tenant, ConnectionHealth.NOT_CONSENTED, str(exc))
    except GraphForbidden as exc:
        return _unhealthy(tenant, ConnectionHealth.FORBIDDEN, str(exc))
    except GraphError as exc:
        return _unhealthy(tenant, ConnectionHealth.ERROR, str(exc))
    initial = next((d.name.lower() for d in org.verified_domains if d.is_initial), None)
    return tenant.model_copy(
        update={
            "display_name": org.display_name or tenant.display_name,
            "domains": verified_domain_names(org.verified_domains),
            "initial_domain": initial,
            "health": ConnectionHealth.OK,
            "health_message": None,
        }
    )


def _unhealthy(tenant: Tenant, health: ConnectionHealth, message: str) -> Tenant:
    log.warning("tenant %s: %s", tenant.tenant_id, health.value)
    return tenant.model_copy(update={"health": health, "health_message": message[:1000]})


def _sources_checked(mode: DiscoveryMode, tenant: Tenant) -> bool:
    # A GDAP tenant missing from the relationships has left; a registered one leaves only when unregistered.
    return tenant.source is TenantSource.GDAP and mode in (DiscoveryMode.GDAP, DiscoveryMode.BOTH)
