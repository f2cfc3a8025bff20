"""The tenant worker (one message, one tenant) and the poison handler that marks a tenant failed."""

from __future__ import annotations

import logging

import azure.functions as func
from pydantic import ValidationError

from shared.bootstrap import get_app
from shared.service.runs import fail_tenant
from shared.service.sync_tenant import sync_tenant
from shared.store.names import POISON_QUEUE, SYNC_QUEUE
from shared.store.queue import TenantMessage

bp = func.Blueprint()
log = logging.getLogger(__name__)


@bp.queue_trigger(arg_name="msg", queue_name=SYNC_QUEUE, connection="AzureWebJobsStorage")
async def tenant_worker(msg: func.QueueMessage) -> None:
    # A malformed message raises here too: after the host's retries it lands in the poison queue, kept.
    message = TenantMessage.model_validate_json(msg.get_body())
    await sync_tenant(await get_app(), message)


@bp.queue_trigger(arg_name="msg", queue_name=POISON_QUEUE, connection="AzureWebJobsStorage")
async def tenant_poison(msg: func.QueueMessage) -> None:
    try:
        message = TenantMessage.model_validate_json(msg.get_body())
    except ValidationError:
        log.error("poison message %s is not a tenant message; left for inspection", msg.id)
        return
    app = await get_app()
    current = await app.runs.tenant_result(message.run_id, message.tenant_id)
    last = current.error if current and current.error else "no error recorded"
    tries = msg.dequeue_count or "several"
    await fail_tenant(app, message.run_id, message.tenant_id, f"gave up after {tries} tries: {last}")
