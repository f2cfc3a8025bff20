"""A PSA event starts a sync (R7.1 trigger `webhook`): of one tenant when the event names it, else of all."""

from __future__ import annotations

import logging

from shared.models import MappingStatus, RunRecord, RunType, Trigger
from shared.service.app import App
from shared.service.runs import start_run

__all__ = ["start_for_psa_event"]

log = logging.getLogger(__name__)


async def start_for_psa_event(
    app: App, event: str, *, tenant_id: str | None = None, client_id: str | None = None
) -> tuple[RunRecord, bool]:
    """Start (or join, R7.5) a `tenant` run when the event names a tenant, or a client mapped to a
    confirmed tenant; otherwise an `all-tenants` run. Returns the run and whether it was started now.
    A tenant named but not mapped is refused (NotFound) rather than widened to every tenant."""
    if tenant_id is None and client_id is not None:
        tenant_id = await _tenant_of_client(app, client_id)
    run_type = RunType.TENANT if tenant_id else RunType.ALL_TENANTS
    run, started = await start_run(app, run_type, Trigger.WEBHOOK, tenant_id=tenant_id, requested_by=f"psa:{event}")
    log.info("PSA event %s: %s run %s (%s)", event, run_type.value, run.run_id, "started" if started else "joined")
    return run, started


async def _tenant_of_client(app: App, client_id: str) -> str | None:
    for mapping in await app.mappings.list():
        if mapping.status is MappingStatus.CONFIRMED and mapping.client_id == client_id:
            return mapping.tenant_id
    return None
