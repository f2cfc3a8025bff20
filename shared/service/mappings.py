"""Tenant -> client mappings: suggestions (R1.1-R1.6) and an operator's decisions (R1.6, R1.7)."""

from __future__ import annotations

import logging
from enum import StrEnum

from shared.errors import Conflict, NotFound, ValidationFailed
from shared.models import Mapping, MappingStatus, PsaClient, Tenant
from shared.service.app import App
from shared.service.subscriptions import follow_mapping
from shared.sync.matching import conflicts, suggest_all

__all__ = ["Decision", "decide", "list_mappings", "refresh_suggestions", "unmap"]

log = logging.getLogger(__name__)

_DECIDED = (MappingStatus.CONFIRMED, MappingStatus.SKIPPED)


class Decision(StrEnum):
    CONFIRM = "confirm"  # take the suggested client
    MAP = "map"  # choose a client
    IMPORT = "import"  # create a client from the tenant (once)
    SKIP = "skip"


async def refresh_suggestions(app: App) -> list[Mapping]:
    """Suggest a client for every managed tenant not yet decided; decided mappings are kept as they are."""
    now = app.clock()
    tenants = [t for t in await app.tenants.list() if t.managed]
    clients = await app.psa.list_clients()
    existing = {m.tenant_id: m for m in await app.mappings.list()}
    suggestions = suggest_all(tenants, clients)
    changed: list[Mapping] = []
    for tenant in tenants:
        current = existing.get(tenant.tenant_id)
        if current is not None and current.status in _DECIDED:
            continue
        s = suggestions[tenant.tenant_id]
        mapping = Mapping(
            tenant_id=tenant.tenant_id,
            status=s.status,
            candidates=s.candidates,
            suggested_at=now,
            imported_client_id=current.imported_client_id if current else None,
        )
        existing[tenant.tenant_id] = mapping
        changed.append(mapping)
    await app.mappings.save_many(changed)
    return sorted(existing.values(), key=lambda m: m.tenant_id)


async def list_mappings(app: App) -> list[Mapping]:
    return await app.mappings.list()


async def decide(
    app: App, tenant_id: str, decision: Decision, *, client_id: str | None = None, by: str = "operator"
) -> Mapping:
    """Apply an operator's decision. Refusals raise NotFound (unknown ids) or Conflict (R1.7)."""
    tenant = await _managed_tenant(app, tenant_id)
    mapping = await app.mappings.get(tenant_id) or Mapping(tenant_id=tenant_id, status=MappingStatus.UNMATCHED)
    if decision is Decision.SKIP:
        await _release(app, mapping)
        return await _save(app, mapping, MappingStatus.SKIPPED, None, by)
    if decision is Decision.CONFIRM:
        target = _suggested_client(mapping)
    elif decision is Decision.MAP:
        if not client_id:
            raise ValidationFailed("clientId is required to map a tenant to a client", field="clientId")
        target = client_id
    else:
        target = (await _imported_client(app, tenant, mapping, by)).id
        mapping = mapping.model_copy(update={"imported_client_id": target})
    client = await app.psa.get_client(target)
    if client is None:
        raise NotFound(f"client {target} not found in the PSA")
    if mapping.status is MappingStatus.CONFIRMED and mapping.client_id == client.id:
        return mapping  # confirming the same pair again changes nothing
    await _claim(app, tenant_id, client)
    if mapping.status is MappingStatus.CONFIRMED and mapping.client_id:
        await app.mappings.release_client(mapping.client_id, tenant_id)
    return await _save(app, mapping, MappingStatus.CONFIRMED, client.id, by)


async def unmap(app: App, tenant_id: str, *, by: str = "operator") -> Mapping:
    """Undo a confirmed (or skipped) mapping: the tenant goes back to a fresh suggestion."""
    mapping = await app.mappings.get(tenant_id)
    if mapping is None or mapping.status not in _DECIDED:
        raise Conflict(f"tenant {tenant_id} is not mapped or skipped; nothing to unmap")
    await _release(app, mapping)
    reset = mapping.model_copy(update={"status": MappingStatus.UNMATCHED, "client_id": None, "decided_by": by})
    await app.mappings.save(reset)
    await follow_mapping(app, reset)
    refreshed = {m.tenant_id: m for m in await refresh_suggestions(app)}
    return refreshed.get(tenant_id, reset)


async def _managed_tenant(app: App, tenant_id: str) -> Tenant:
    tenant = await app.tenants.get(tenant_id)
    if tenant is None:
        raise NotFound(f"tenant {tenant_id} has not been discovered")
    if not tenant.managed:
        raise Conflict(f"tenant {tenant_id} is no longer managed by the partner")
    return tenant


def _suggested_client(mapping: Mapping) -> str:
    if mapping.status is MappingStatus.CONFIRMED and mapping.client_id:
        return mapping.client_id
    best = mapping.candidates[:2]
    if not best:
        raise Conflict(f"tenant {mapping.tenant_id} has no suggested client; choose one (map) or import it")
    if len(best) == 2 and best[0].score == best[1].score:
        raise Conflict(
            f"tenant {mapping.tenant_id} has several equally good candidates "
            f"({best[0].client_id}, {best[1].client_id}); choose one (map)"
        )
    return best[0].client_id


async def _imported_client(app: App, tenant: Tenant, mapping: Mapping, by: str) -> PsaClient:
    # Import is done once: a second import (or a retry after a crash) reuses the client made the first time.
    if mapping.imported_client_id:
        existing = await app.psa.get_client(mapping.imported_client_id)
        if existing is not None:
            return existing
    website = tenant.domains[0] if tenant.domains else None
    client = await app.psa.create_client(
        tenant.display_name or tenant.tenant_id, website=website, domains=list(tenant.domains)
    )
    # Record the import before anything else can fail, so a retry finds it.
    await app.mappings.save(mapping.model_copy(update={"imported_client_id": client.id, "decided_by": by}))
    log.info("tenant %s imported as client %s", tenant.tenant_id, client.id)
    return client


async def _claim(app: App, tenant_id: str, client: PsaClient) -> None:
    message = conflicts(await app.mappings.list(), tenant_id, client.id)
    if message:
        raise Conflict(message)
    holder = await app.mappings.claim_client(client.id, tenant_id)
    if holder is not None:
        raise Conflict(f"Client {client.id} is already mapped to tenant {holder}")


async def _release(app: App, mapping: Mapping) -> None:
    if mapping.status is MappingStatus.CONFIRMED and mapping.client_id:
        await app.mappings.release_client(mapping.client_id, mapping.tenant_id)


async def _save(app: App, mapping: Mapping, status: MappingStatus, client_id: str | None, by: str) -> Mapping:
    decided = mapping.model_copy(
        update={"status": status, "client_id": client_id, "decided_by": by, "decided_at": app.clock()}
    )
    await app.mappings.save(decided)
    await follow_mapping(app, decided)  # subscribe to the tenant's user changes, or stop (issue 15)
    return decided
