"""The change-notification messages of the tenant-sync queue (`shared.models.queue`): the end of
a tenant's window, and the lifecycle work Graph asked for. A failure raises, so the host retries the
message like any other (a redelivered `coalesce` starts its pass even if the first try took the mark)."""

from __future__ import annotations

from shared.models.queue import NotifyKind, NotifyMessage
from shared.service.app import App
from shared.service.coalesce import coalesced_pass
from shared.service.subscriptions import reauthorize, recreate

__all__ = ["handle_notify_message"]


async def handle_notify_message(app: App, body: bytes, *, tries: int = 1) -> None:
    message = NotifyMessage.model_validate_json(body)
    if message.notify is NotifyKind.COALESCE:
        await coalesced_pass(app, message.tenant_id, redelivered=tries > 1)
    elif message.notify is NotifyKind.RECREATE:
        await recreate(app, message.tenant_id, message.subscription_id)
    else:
        await reauthorize(app, message.tenant_id, message.subscription_id)
