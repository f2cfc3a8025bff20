"""The tenant-sync queue: one small JSON message per tenant (`shared.models.queue.TenantMessage`)."""

from __future__ import annotations

from collections.abc import Iterable

from shared.models.queue import SYNC_QUEUE, TenantMessage
from shared.store.account import StorageAccount

__all__ = ["QueueWorkQueue"]


class QueueWorkQueue:
    def __init__(self, account: StorageAccount) -> None:
        self._queue = account.queue(SYNC_QUEUE)

    async def send(self, messages: Iterable[TenantMessage], *, delay_seconds: int = 0) -> int:
        sent = 0
        for message in messages:
            await self._queue.send_message(message.to_json(), visibility_timeout=delay_seconds or None)
            sent += 1
        return sent
