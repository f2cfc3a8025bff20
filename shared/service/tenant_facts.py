"""After a tenant's pass: the client's Microsoft 365 facts, written when they change (R4.4)."""

from __future__ import annotations

import logging

from shared.errors import PsaError, PsaUnavailable
from shared.models.secure_score import ScorePoint
from shared.service.app import App
from shared.service.tenant_reads import TenantReads
from shared.sync.client_facts import client_facts, client_facts_changed
from shared.sync.licenses import license_usage

__all__ = ["CLIENT_FACTS_NOT_WRITTEN", "record_tenant_facts"]

CLIENT_FACTS_NOT_WRITTEN = (
    "client's Microsoft facts not written (the PSA refused them: {}); a later full pass writes them"
)

log = logging.getLogger(__name__)


async def record_tenant_facts(app: App, tenant_id: str, client_id: str, reads: TenantReads) -> list[str]:
    """Write the client's facts if they changed, keep the day's Secure Score and the tenant's licence
    usage (the unused-licence report); returns the tenant's notes.

    Only a full pass sees every user, so a delta pass leaves the counts as they are. A PSA refusing the
    facts (a custom field it lacks or will not take) is a note, never the tenant's failure (R8.4); an
    outage (PsaUnavailable) still propagates, so the host retries the tenant.
    """
    if not reads.complete:
        return []
    now = app.clock()
    score = reads.secure_score
    facts = client_facts(
        reads.users,
        now=now,
        sign_in_known=reads.facts.entra_p1,
        secure_score=score.current_score if score else None,
        secure_score_max=score.max_score if score else None,
    )
    notes: list[str] = []
    client = await app.psa.get_client(client_id)
    current = client.microsoft if client else None
    if client_facts_changed(facts, current, app.psa.capabilities.client_fact_fields):
        try:
            await app.psa.write_client_facts(client_id, facts.model_copy(update={"updated_at": now}))
        except PsaUnavailable:
            raise
        except PsaError as exc:
            log.warning("tenant %s: the PSA refused client %s's facts: %s", tenant_id, client_id, exc)
            notes.append(CLIENT_FACTS_NOT_WRITTEN.format(exc))
    if score is not None and score.current_score is not None:
        day = (score.created_date_time or now).date()
        await app.secure_scores.record(
            client_id,
            ScorePoint(date=day, current_score=score.current_score, max_score=score.max_score, tenant_id=tenant_id),
        )
    await app.licenses.replace(
        tenant_id, license_usage(tenant_id, reads.users, reads.skus, now=now, sign_in_known=reads.facts.entra_p1)
    )
    return notes
