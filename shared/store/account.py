"""The storage account: Table and Queue service clients, from a connection string or managed identity."""

from __future__ import annotations

import contextlib
import logging
from typing import Any, Protocol

from azure.core.exceptions import ResourceExistsError
from azure.data.tables.aio import TableClient, TableServiceClient
from azure.storage.queue.aio import QueueClient, QueueServiceClient

from shared.config import Settings
from shared.errors import ConfigError
from shared.store.names import POISON_QUEUE, SYNC_QUEUE, TABLES

__all__ = ["StorageAccount", "StorageHooks"]

log = logging.getLogger(__name__)


class StorageHooks(Protocol):
    def table(self, request: Any) -> None: ...
    def queue(self, request: Any) -> None: ...


class StorageAccount:
    """Clients for the app's tables and queues. `prefix` keeps a test's or simulation's names apart."""

    def __init__(self, tables: TableServiceClient, queues: QueueServiceClient, prefix: str = "") -> None:
        self._tables = tables
        self._queues = queues
        self.prefix = prefix
        self._table_clients: dict[str, TableClient] = {}
        self._queue_clients: dict[str, QueueClient] = {}

    @classmethod
    def from_settings(
        cls, settings: Settings, *, prefix: str | None = None, hooks: StorageHooks | None = None
    ) -> StorageAccount:
        """`hooks`: azure-core raw request hooks for the table and queue clients (the bench counts with them)."""
        prefix = settings.storage_name_prefix if prefix is None else prefix
        table_kw: dict[str, Any] = {"raw_request_hook": hooks.table} if hooks else {}
        queue_kw: dict[str, Any] = {"raw_request_hook": hooks.queue} if hooks else {}
        if settings.storage_connection:
            conn = settings.storage_connection
            return cls(
                TableServiceClient.from_connection_string(conn, **table_kw),
                QueueServiceClient.from_connection_string(conn, **queue_kw),
                prefix,
            )
        if settings.table_service_uri and settings.queue_service_uri:
            credential = _identity(settings.storage_client_id)
            return cls(
                TableServiceClient(settings.table_service_uri, credential=credential, **table_kw),
                QueueServiceClient(settings.queue_service_uri, credential=credential, **queue_kw),
                prefix,
            )
        raise ConfigError(
            "storage is not configured: set AzureWebJobsStorage, or AzureWebJobsStorage__tableServiceUri "
            "and AzureWebJobsStorage__queueServiceUri"
        )

    def table(self, name: str) -> TableClient:
        client = self._table_clients.get(name)
        if client is None:
            client = self._table_clients[name] = self._tables.get_table_client(self.prefix + name)
        return client

    def queue(self, name: str) -> QueueClient:
        full = f"{self.prefix.lower()}-{name}" if self.prefix else name
        client = self._queue_clients.get(full)
        if client is None:
            client = self._queue_clients[full] = self._queues.get_queue_client(full)
        return client

    async def ensure(self) -> None:
        """Create every table and queue the app uses (idempotent)."""
        for name in TABLES:
            with contextlib.suppress(ResourceExistsError):
                await self._tables.create_table(self.prefix + name)
        for queue in (SYNC_QUEUE, POISON_QUEUE):
            with contextlib.suppress(ResourceExistsError):
                await self.queue(queue).create_queue()

    async def drop(self) -> None:
        """Delete this prefix's tables and queues (tests and simulations only)."""
        if not self.prefix:
            raise ConfigError("refusing to drop the unprefixed production tables")
        for name in TABLES:
            await self._tables.delete_table(self.prefix + name)
        for queue in (SYNC_QUEUE, POISON_QUEUE):
            try:
                await self.queue(queue).delete_queue()
            except Exception:  # already gone
                log.debug("queue %s already gone", queue)

    async def aclose(self) -> None:
        for table in self._table_clients.values():
            await table.close()
        for queue in self._queue_clients.values():
            await queue.close()
        await self._tables.close()
        await self._queues.close()


def _identity(client_id: str | None) -> Any:
    from azure.identity.aio import DefaultAzureCredential, ManagedIdentityCredential

    return ManagedIdentityCredential(client_id=client_id) if client_id else DefaultAzureCredential()
