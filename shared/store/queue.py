"""The tenant-sync queue: one small JSON message per tenant (ids only, never a payload)."""

from __future__ import annotations

from collections.abc import Iterable

from pydantic import BaseModel, ConfigDict, Field

from shared.store.account import StorageAccount
from shared.store.names import SYNC_QUEUE

__all__ = ["QueueWorkQueue", "TenantMessage"]


class TenantMessage(BaseModel):
    """What the tenant worker gets. host.json sets messageEncoding "none": the body is this JSON as is."""

    model_config = ConfigDict(populate_by_name=True, extra="ignore")

    run_id: str = Field(alias="runId", min_length=1, max_length=100)
    tenant_id: str = Field(alias="tenantId", min_length=1, max_length=100)
    mode: str = Field(default="sync", pattern="^(sync|approve)$")  # approve: apply held inactivations

    def to_json(self) -> str:
        return self.model_dump_json(by_alias=True)


class QueueWorkQueue:
    def __init__(self, account: StorageAccount) -> None:
        self._queue = account.queue(SYNC_QUEUE)

    async def send(self, messages: Iterable[TenantMessage], *, delay_seconds: int = 0) -> int:
        sent = 0
        for message in messages:
            await self._queue.send_message(message.to_json(), visibility_timeout=delay_seconds or None)
            sent += 1
        return sent
