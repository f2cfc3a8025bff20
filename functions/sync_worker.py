"""The tenant worker (one message, one tenant) and the poison handler that marks a tenant failed."""

from __future__ import annotations

import azure.functions as func

from shared.bootstrap import get_app
from shared.service.tenant_queue import POISON_QUEUE, SYNC_QUEUE, fail_from_poison, sync_from_message

__all__ = ["bp", "tenant_poison", "tenant_worker"]

bp = func.Blueprint()


@bp.queue_trigger(arg_name="msg", queue_name=SYNC_QUEUE, connection="AzureWebJobsStorage")
async def tenant_worker(msg: func.QueueMessage) -> None:
    await sync_from_message(await get_app(), msg.get_body(), tries=msg.dequeue_count or 1)


@bp.queue_trigger(arg_name="msg", queue_name=POISON_QUEUE, connection="AzureWebJobsStorage")
async def tenant_poison(msg: func.QueueMessage) -> None:
    await fail_from_poison(await get_app(), msg.get_body(), message_id=msg.id, tries=msg.dequeue_count)
