"""The tenant-sync queue as its triggers see it: the queue names they bind, one message synced, and a
message the host gave up on (moved to the poison queue) recorded as that tenant's failure."""

from __future__ import annotations

import logging

from pydantic import ValidationError

from shared.models.queue import POISON_QUEUE, SYNC_QUEUE, TenantMessage, is_notify_message
from shared.service.app import App
from shared.service.notify_work import handle_notify_message
from shared.service.runs import fail_tenant
from shared.service.sync_tenant import sync_tenant

__all__ = ["POISON_QUEUE", "SYNC_QUEUE", "fail_from_poison", "sync_from_message"]

log = logging.getLogger(__name__)


async def sync_from_message(app: App, body: bytes, *, tries: int = 1) -> None:
    """Sync the tenant a queue message names, or do the change-notification work it asks for
    (`shared.service.notify_work`; `tries`: its delivery count). A malformed message raises too: after
    the host's retries it lands in the poison queue, kept for inspection."""
    if is_notify_message(body):
        await handle_notify_message(app, body, tries=tries)
        return
    await sync_tenant(app, TenantMessage.model_validate_json(body))


async def fail_from_poison(app: App, body: bytes, *, message_id: str | None, tries: int | None) -> None:
    """Mark the message's tenant failed with the last error its tries recorded."""
    try:
        message = TenantMessage.model_validate_json(body)
    except ValidationError:
        log.error("poison message %s is not a tenant message; left for inspection", message_id)
        return
    current = await app.runs.tenant_result(message.run_id, message.tenant_id)
    last = current.error if current and current.error else "no error recorded"
    await fail_tenant(app, message.run_id, message.tenant_id, f"gave up after {tries or 'several'} tries: {last}")
