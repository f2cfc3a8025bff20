"""A PSA event starts a sync (R7.1 trigger `webhook`): of one tenant when the event names it, else of all.

A signed request is accepted once (`accept_psa_event`): the same request again inside its signature's
5 minutes, whether an attacker's replay or the PSA retrying a delivery whose answer it lost, starts
nothing and is answered as a replay (HTTP 200, so that no sender keeps retrying it).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime

from shared.errors import ConfigError
from shared.models import MappingStatus, RunRecord, RunType, Trigger
from shared.security import replay_key
from shared.service.app import App
from shared.service.runs import start_run

__all__ = ["PsaEventAnswer", "accept_psa_event", "start_for_psa_event"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PsaEventAnswer:
    """The run a signed event started or joined; `run` None: a replay, and nothing was started."""

    run: RunRecord | None
    started: bool = False

    @property
    def replay(self) -> bool:
        return self.run is None


async def accept_psa_event(
    app: App,
    event: str,
    *,
    signed_at: int,
    body: bytes,
    tenant_id: str | None = None,
    client_id: str | None = None,
) -> PsaEventAnswer:
    """`start_for_psa_event` for a request whose signature was verified (`signed_at`: what
    `shared.security.verify` returned; `body`: the exact bytes signed), once per request.

    The request is recorded before its run starts (an atomic create: two copies at once cannot both
    pass), and the record is dropped again if starting fails, so the sender's retry is not a replay."""
    if app.webhook_receipts is None:
        raise ConfigError("the webhook cannot tell a replay: no webhook receipt store is wired")
    key, at = replay_key(signed_at, body), datetime.fromtimestamp(signed_at, UTC)
    if not await app.webhook_receipts.first_time(key, at):
        log.warning("PSA webhook: a replay of a request signed at %s was refused; nothing started", signed_at)
        return PsaEventAnswer(run=None)
    try:
        run, started = await start_for_psa_event(app, event, tenant_id=tenant_id, client_id=client_id)
    except BaseException:
        await app.webhook_receipts.forget(key, at)
        raise
    return PsaEventAnswer(run=run, started=started)


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
