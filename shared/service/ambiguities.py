"""An operator settles what the sync could not: ambiguous matches (R6) and held inactivations (R5.5)."""

from __future__ import annotations

import logging
import secrets
from enum import StrEnum

from shared.errors import Conflict, NotFound, PsaError, ValidationFailed
from shared.models import Ambiguity, AmbiguityStatus, MappingStatus, Outcome, RunRecord, RunType, Trigger
from shared.service.app import App
from shared.service.apply import apply_user
from shared.service.runs import start_run
from shared.service.sync_tenant import LEASE_TTL
from shared.sync.resolve import ResolveRefused, resolve_to_existing, resolve_to_new, resolved

__all__ = ["Resolution", "approve_inactivations", "list_ambiguities", "resolve"]

log = logging.getLogger(__name__)


class Resolution(StrEnum):
    EXISTING = "existing"
    NEW = "new"
    DISMISS = "dismiss"


async def list_ambiguities(app: App, status: AmbiguityStatus | None = None) -> list[Ambiguity]:
    return await app.ambiguities.list(status)


async def resolve(
    app: App,
    tenant_id: str,
    user_id: str,
    action: Resolution,
    *,
    contact_id: str | None = None,
    by: str = "operator",
) -> Ambiguity:
    """Link to an existing contact of the mapped client (R4.2 applied at once), create one, or dismiss."""
    ambiguity = await app.ambiguities.get(tenant_id, user_id)
    if ambiguity is None:
        raise NotFound(f"no ambiguity for user {user_id} in tenant {tenant_id}")
    if ambiguity.status is not AmbiguityStatus.OPEN:
        raise Conflict(f"the ambiguity for user {user_id} is already {ambiguity.status.value}")
    if action is Resolution.DISMISS:
        dismissed = ambiguity.model_copy(
            update={
                "status": AmbiguityStatus.DISMISSED,
                "resolution": "dismiss",
                "resolved_by": by,
                "updated_at": app.clock(),
            }
        )
        await app.ambiguities.save_many([dismissed])
        return dismissed
    if action is Resolution.EXISTING and not contact_id:
        raise ValidationFailed("contactId is required to resolve to an existing contact", field="contactId")
    mapping = await app.mappings.get(tenant_id)
    if mapping is None or mapping.status is not MappingStatus.CONFIRMED or not mapping.client_id:
        raise Conflict(f"tenant {tenant_id} is not mapped to a client")
    client_id = mapping.client_id
    owner = f"resolve/{secrets.token_hex(4)}"
    if not await app.leases.acquire(tenant_id, owner, app.clock(), LEASE_TTL):
        raise Conflict(f"tenant {tenant_id} is being synced right now; try again in a minute")
    try:
        user = await app.graph.tenant(tenant_id).user(user_id)
        settings = await app.sync_settings.effective(tenant_id)
        links = await app.links.for_tenant(tenant_id)
        if action is Resolution.EXISTING:
            contacts = {c.id: c for c in await app.psa.list_contacts(client_id)}
            contact = contacts.get(contact_id or "")
            if contact is None:
                raise Conflict(f"contact {contact_id} is not a contact of client {client_id}, the tenant's client")
            try:
                plan = resolve_to_existing(
                    user,
                    contact,
                    tenant_id=tenant_id,
                    client_id=client_id,
                    controls=settings.field_controls,
                    links=links,
                    capabilities=app.psa.capabilities,
                )
            except ResolveRefused as exc:
                raise Conflict(str(exc)) from exc
        else:
            plan = resolve_to_new(user, tenant_id=tenant_id, client_id=client_id, capabilities=app.psa.capabilities)
        outcome, link, _ = await apply_user(app, client_id, plan)
        if link is not None:
            await app.links.save(link)
        if outcome.outcome is Outcome.FAILED:
            raise PsaError(outcome.reason)
        done = resolved(ambiguity, plan, by=by, contact_id=outcome.contact_id).model_copy(
            update={"updated_at": app.clock()}
        )
        await app.ambiguities.save_many([done])
        log.info("ambiguity %s/%s resolved (%s) by %s", tenant_id, user_id, action.value, by)
        return done
    finally:
        await app.leases.release(tenant_id, owner)


async def approve_inactivations(app: App, tenant_id: str, *, by: str = "operator") -> RunRecord:
    """Release a tenant's safety-brake hold (R5.5): a tenant run, recorded with who approved, that
    applies the inactivations that still hold. The hold is the tenant's cursor (`held_by_run`)."""
    cursor = await app.cursors.get(tenant_id)
    if cursor is None or not cursor.held:
        raise Conflict(f"tenant {tenant_id} has no held inactivations")
    run, _ = await start_run(
        app, RunType.TENANT, Trigger.MANUAL, tenant_id=tenant_id, brake_released=True, requested_by=by
    )
    return run
