"""The tenant-sync queue: its name and its poison queue's, which its trigger binds, and the small JSON
messages on it (ids only, never a payload, never a clientState). host.json sets messageEncoding
"none": a body is the message's JSON as is.

Two kinds share the queue: a `TenantMessage` per tenant of a run, and the change-notification work
(`NotifyMessage`): a delayed `coalesce` message starts one tenant's pass at the end of its window;
`recreate` and `reauthorize` answer Graph's lifecycle events away from the endpoint, which must answer
within 3 seconds. The queue's handler tells the two kinds apart (`is_notify_message`)."""

from __future__ import annotations

import json
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["POISON_QUEUE", "SYNC_QUEUE", "NotifyKind", "NotifyMessage", "TenantMessage", "is_notify_message"]

# One message per tenant; the host moves a message here after its last failed try.
SYNC_QUEUE = "tenant-sync"
POISON_QUEUE = f"{SYNC_QUEUE}-poison"


class TenantMessage(BaseModel):
    """What the tenant worker gets."""

    model_config = ConfigDict(populate_by_name=True, extra="ignore")

    run_id: str = Field(alias="runId", min_length=1, max_length=100)
    tenant_id: str = Field(alias="tenantId", min_length=1, max_length=100)
    mode: str = Field(default="sync", pattern="^(sync|approve)$")  # approve: apply held inactivations

    def to_json(self) -> str:
        return self.model_dump_json(by_alias=True)


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
