"""The lease that keeps one worker per tenant (R7.5): SyncState row `lease` of the tenant's partition."""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from azure.core import MatchConditions
from azure.core.exceptions import ResourceExistsError, ResourceModifiedError, ResourceNotFoundError
from azure.data.tables import UpdateMode

from shared.store.account import StorageAccount
from shared.store.entities import check_key
from shared.store.names import Table

__all__ = ["TableLeaseStore"]

_LEASE = "lease"


class TableLeaseStore:
    """An expiring lease per tenant, taken and released under the row's ETag."""

    def __init__(self, account: StorageAccount) -> None:
        self._table = account.table(Table.SYNC_STATE)
        # The ETag of each lease this process took: its release deletes under it without reading first.
        self._taken: dict[tuple[str, str], str] = {}

    async def acquire(
        self, tenant_id: str, owner: str, now: datetime, ttl: timedelta, *, take_over: str | None = None
    ) -> bool:
        entity = {
            "PartitionKey": check_key(tenant_id),
            "RowKey": _LEASE,
            "owner": owner,
            "expiresAt": (now + ttl).isoformat(),
        }
        try:
            self._took(tenant_id, owner, await self._table.create_entity(entity))
            return True
        except ResourceExistsError:
            pass
        try:
            current = await self._table.get_entity(tenant_id, _LEASE)
        except ResourceNotFoundError:
            return await self.acquire(tenant_id, owner, now, ttl, take_over=take_over)
        expired = datetime.fromisoformat(str(current["expiresAt"])) <= now
        if current["owner"] not in (owner, take_over) and not expired:
            return False
        try:
            written = await self._table.update_entity(
                entity,
                mode=UpdateMode.REPLACE,
                etag=current.metadata["etag"],
                match_condition=MatchConditions.IfNotModified,
            )
            self._took(tenant_id, owner, written)
            return True
        except (ResourceModifiedError, ResourceNotFoundError):
            return False  # another worker took it between our read and write

    async def holder(self, tenant_id: str) -> str | None:
        try:
            current = await self._table.get_entity(check_key(tenant_id), _LEASE)
        except ResourceNotFoundError:
            return None
        return str(current["owner"])

    def _took(self, tenant_id: str, owner: str, written: Mapping[str, Any]) -> None:
        if written.get("etag"):
            self._taken[(tenant_id, owner)] = str(written["etag"])

    async def release(self, tenant_id: str, owner: str) -> None:
        etag = self._taken.pop((tenant_id, owner), None)
        if etag is not None:
            # Changed since this process took it (taken over after it lapsed)? Then it is not ours and stays.
            with contextlib.suppress(ResourceModifiedError, ResourceNotFoundError):
                await self._table.delete_entity(
                    check_key(tenant_id), _LEASE, etag=etag, match_condition=MatchConditions.IfNotModified
                )
            return
        try:
            current = await self._table.get_entity(check_key(tenant_id), _LEASE)
        except ResourceNotFoundError:
            return
        if current["owner"] != owner:
            return
        # Taken over after it expired? Then it is not ours any more and stays.
        with contextlib.suppress(ResourceModifiedError, ResourceNotFoundError):
            await self._table.delete_entity(
                tenant_id, _LEASE, etag=current.metadata["etag"], match_condition=MatchConditions.IfNotModified
            )
