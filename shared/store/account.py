"""The storage account: Table and Queue service clients, from a connection string or managed identity."""

from __future__ import annotations

import contextlib
import logging
from typing import Any, Protocol

from azure.core.exceptions import ResourceExistsError
from azure.core.pipeline import AsyncPipeline
from azure.data.tables.aio import TableClient, TableServiceClient
from azure.storage.queue.aio import QueueClient, QueueServiceClient

from shared.config import Settings
from shared.errors import ConfigError
from shared.models.queue import POISON_QUEUE, SYNC_QUEUE
from shared.store.failures import QUEUE_OPTIONS, TABLE_OPTIONS, StorageFailurePolicy
from shared.store.names import TABLES

__all__ = ["StorageAccount", "StorageHooks"]

log = logging.getLogger(__name__)


# azure-core's aiohttp transport trusts the environment by default: on every request aiohttp then looks
# for ~/.netrc and the proxy variables, each in a worker thread (two thread hand-offs a request, the
# worker's largest fixed cost after the requests themselves in a profile of 200 small tenants). The
# app reaches its storage account directly (or through a private endpoint), never through a proxy.
_TRANSPORT: dict[str, Any] = {"use_env_settings": False}


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
        """`hooks`: azure-core raw request hooks for the table and queue clients (the bench counts with them).

        Every client fails a call the retries could not save with StorageUnavailable naming the setting
        in use (`shared.store.failures`), in seconds when the account is unreachable."""
        prefix = settings.storage_name_prefix if prefix is None else prefix
        table_kw: dict[str, Any] = _TRANSPORT | ({"raw_request_hook": hooks.table} if hooks else {})
        queue_kw: dict[str, Any] = _TRANSPORT | ({"raw_request_hook": hooks.queue} if hooks else {})
        if settings.storage_connection:
            conn, setting = settings.storage_connection, "AzureWebJobsStorage"
            return cls(
                _Tables.from_connection_string(conn, failures=StorageFailurePolicy("table", setting), **table_kw),
                _Queues.from_connection_string(conn, failures=StorageFailurePolicy("queue", setting), **queue_kw),
                prefix,
            )
        if settings.table_service_uri and settings.queue_service_uri:
            credential = _identity(settings.storage_client_id)
            tables = StorageFailurePolicy("table", "AzureWebJobsStorage__tableServiceUri")
            queues = StorageFailurePolicy("queue", "AzureWebJobsStorage__queueServiceUri")
            return cls(
                _Tables(settings.table_service_uri, credential=credential, failures=tables, **table_kw),
                _Queues(settings.queue_service_uri, credential=credential, failures=queues, **queue_kw),
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


class _Tables(TableServiceClient):
    """A table service client whose pipeline, and its table clients', starts with `failures`.

    The Tables SDK builds its policy list itself and ignores `per_call_policies`; its table clients
    share the list this builds."""

    def __init__(self, endpoint: str, *, failures: StorageFailurePolicy, **kwargs: Any) -> None:
        self._failures = failures
        super().__init__(endpoint, **(TABLE_OPTIONS | kwargs))

    def _configure_policies(self, **kwargs: Any) -> list[Any]:
        return [self._failures, *super()._configure_policies(**kwargs)]


class _Queues(QueueServiceClient):
    """A queue service client whose pipeline, and its queue clients', starts with `failures`.

    The Queue SDK also ignores `per_call_policies`; its queue clients reuse this pipeline's policies."""

    def __init__(self, account_url: str, credential: Any = None, *, failures: StorageFailurePolicy, **kwargs: Any):
        self._failures = failures
        super().__init__(account_url, credential, **(QUEUE_OPTIONS | kwargs))

    # The SDK's own async mixin overrides the sync mixin's Pipeline return the same way.
    def _create_pipeline(  # type: ignore[override]
        self, credential: Any = None, **kwargs: Any
    ) -> tuple[Any, AsyncPipeline[Any, Any]]:
        config, pipeline = super()._create_pipeline(credential, **kwargs)
        return config, AsyncPipeline(pipeline._transport, policies=[self._failures, *pipeline._impl_policies])


def _identity(client_id: str | None) -> Any:
    from azure.identity.aio import DefaultAzureCredential, ManagedIdentityCredential

    return ManagedIdentityCredential(client_id=client_id) if client_id else DefaultAzureCredential()
