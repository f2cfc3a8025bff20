"""Which tenants the safety brake holds (R5.5), and whose inactivations wait for an operator's approval."""

from __future__ import annotations

import asyncio
from datetime import datetime

from pydantic import Field

from shared.models import MappingStatus, UserOutcome
from shared.models.base import WireModel
from shared.service.app import App

__all__ = ["HELD_REASON", "HeldBrake", "held_brakes"]

# The planner's reason for a user whose inactivation the brake holds (shared/sync/planner.py).
HELD_REASON = "held by the safety brake"


class HeldBrake(WireModel):
    """A tenant whose inactivations are held, the run that held them, and the users they concern."""

    tenant_id: str
    tenant_name: str
    client_id: str | None = None
    client_name: str | None = None
    run_id: str | None = None  # None when the holding run is not known (a hold recorded before runs were kept)
    held_at: datetime | None = None
    inactivations: list[UserOutcome] = Field(default_factory=list)


async def held_brakes(app: App) -> list[HeldBrake]:
    """Every mapped tenant the brake holds, by tenant name; approval is POST /tenants/{id}/approve-inactivations."""
    mapped = [m for m in await app.mappings.list() if m.status is MappingStatus.CONFIRMED]
    cursors = await asyncio.gather(*(app.cursors.get(m.tenant_id) for m in mapped))
    held = [(m, c.held_by_run) for m, c in zip(mapped, cursors, strict=True) if c is not None and c.held]
    if not held:
        return []
    tenants = {t.tenant_id: t for t in await app.tenants.list()}
    clients = {c.id: c for c in await app.psa.list_clients()}
    brakes: list[HeldBrake] = []
    for mapping, run_id in held:
        tenant = tenants.get(mapping.tenant_id)
        client = clients.get(mapping.client_id or "")
        run = await app.runs.get(run_id) if run_id and run_id != "unknown" else None
        users = (await app.runs.user_outcomes(run.run_id, mapping.tenant_id)).get(mapping.tenant_id, []) if run else []
        brakes.append(
            HeldBrake(
                tenant_id=mapping.tenant_id,
                tenant_name=(tenant.display_name if tenant else "") or mapping.tenant_id,
                client_id=mapping.client_id,
                client_name=client.name if client else None,
                run_id=run.run_id if run else None,
                held_at=run.started_at if run else None,
                inactivations=sorted((u for u in users if HELD_REASON in u.reason), key=lambda u: u.user_id),
            )
        )
    return sorted(brakes, key=lambda b: (b.tenant_name.lower(), b.tenant_id))
