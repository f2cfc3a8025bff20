"""Change-notification work on the tenant-sync queue, beside the tenant messages
(`shared.models.queue.NotifyMessage`: a delayed `coalesce`, a `recreate` or a `reauthorize`)."""

from __future__ import annotations

from shared.models.queue import SYNC_QUEUE, NotifyMessage
from shared.store.account import StorageAccount

__all__ = ["QueueNotifyQueue"]


class QueueNotifyQueue:
    def __init__(self, account: StorageAccount) -> None:
        self._queue = account.queue(SYNC_QUEUE)

    async def send(self, message: NotifyMessage, *, delay_seconds: int = 0) -> None:
        await self._queue.send_message(message.to_json(), visibility_timeout=delay_seconds or None)
