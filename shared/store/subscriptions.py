"""Each confirmed tenant's Graph subscription (table Subscriptions, partition `subscription`, RowKey the
tenant id). The subscription's `clientState` is a secret: it lives in a column of its own, never in the
row's JSON (which the API and the logs may show), and leaves this adapter only as a `SecretStr`."""

from __future__ import annotations

import contextlib
from typing import Any

from azure.core.exceptions import ResourceNotFoundError
from azure.data.tables import UpdateMode
from pydantic import SecretStr

from shared.models.subscriptions import TenantSubscription
from shared.store.account import StorageAccount
from shared.store.entities import check_key, from_entity, to_entity
from shared.store.names import Table

__all__ = ["TableSubscriptionStore"]

_PK = "subscription"
_SECRET = "clientState"


class TableSubscriptionStore:
    def __init__(self, account: StorageAccount) -> None:
        self._table = account.table(Table.SUBSCRIPTIONS)

    async def get(self, tenant_id: str) -> TenantSubscription | None:
        try:
            entity = await self._table.get_entity(_PK, check_key(tenant_id, "tenantId"))
        except ResourceNotFoundError:
            return None
        return _read(entity)

    async def list(self) -> list[TenantSubscription]:
        rows = self._table.query_entities("PartitionKey eq @pk", parameters={"pk": _PK}, select=["json", _SECRET])
        found = [_read(entity) async for entity in rows]
        return sorted(found, key=lambda s: s.tenant_id)

    async def save(self, subscription: TenantSubscription) -> None:
        secret = subscription.client_state.get_secret_value() if subscription.client_state else ""
        entity = to_entity(_PK, subscription.tenant_id, subscription, **{_SECRET: secret})
        await self._table.upsert_entity(entity, mode=UpdateMode.REPLACE)

    async def delete(self, tenant_id: str) -> None:
        with contextlib.suppress(ResourceNotFoundError):
            await self._table.delete_entity(_PK, check_key(tenant_id, "tenantId"))


def _read(entity: Any) -> TenantSubscription:
    subscription = from_entity(entity, TenantSubscription)
    secret = str(entity.get(_SECRET) or "")
    return subscription.model_copy(update={"client_state": SecretStr(secret) if secret else None})
