"""Change-notification work on the tenant-sync queue, beside the tenant messages: a delayed
`coalesce` message starts one tenant's pass at the end of its window; `recreate` and `reauthorize`
answer Graph's lifecycle events away from the endpoint, which must answer within 3 seconds.
Ids only: never a clientState. The queue's handler tells the two kinds apart (`is_notify_message`)."""

from __future__ import annotations

import json
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from shared.store.account import StorageAccount
from shared.store.names import SYNC_QUEUE

__all__ = ["NotifyKind", "NotifyMessage", "QueueNotifyQueue", "is_notify_message"]


class NotifyKind(StrEnum):
    COALESCE = "coalesce"  # the window is over: start the tenant's pass
    RECREATE = "recreate"  # Graph removed the subscription: make a new one
    REAUTHORIZE = "reauthorize"  # Graph asks for the subscription to be reauthorized: PATCH its expiry


class NotifyMessage(BaseModel):
    model_config = ConfigDict(populate_by_name=True, extra="ignore")

    notify: NotifyKind
    tenant_id: str = Field(alias="tenantId", min_length=1, max_length=100)
    subscription_id: str | None = Field(default=None, alias="subscriptionId", max_length=200)

    def to_json(self) -> str:
        return self.model_dump_json(by_alias=True, exclude_none=True)


def is_notify_message(body: bytes) -> bool:
    """Whether a message of the tenant-sync queue is one of these (a JSON object with `notify`)."""
    try:
        parsed = json.loads(body)
    except ValueError:
        return False
    return isinstance(parsed, dict) and "notify" in parsed


class QueueNotifyQueue:
    def __init__(self, account: StorageAccount) -> None:
        self._queue = account.queue(SYNC_QUEUE)

    async def send(self, message: NotifyMessage, *, delay_seconds: int = 0) -> None:
        await self._queue.send_message(message.to_json(), visibility_timeout=delay_seconds or None)
