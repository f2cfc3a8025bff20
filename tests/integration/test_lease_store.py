"""TableLeaseStore on Azurite: releasing a lease this process took is one delete under the ETag it
got when taking it (no read first, issue 16), and never removes a lease someone took over since."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from shared.bootstrap import App
from shared.store.account import StorageAccount
from shared.store.leases import TableLeaseStore
from shared.store.names import Table

NOW = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)
TTL = timedelta(minutes=10)
TENANT = "7893f28e-f7e8-508b-beeb-55b763029caf"


def leases(app: App) -> TableLeaseStore:
    assert app.storage is not None
    return TableLeaseStore(app.storage)


async def holder(app: App) -> str | None:
    """The lease row's owner, read straight from the table."""
    assert app.storage is not None
    rows = app.storage.table(Table.SYNC_STATE).query_entities("RowKey eq 'lease'")
    owners = [str(row["owner"]) async for row in rows if row["PartitionKey"] == TENANT]
    return owners[0] if owners else None


class Sent:
    """The HTTP method of every table request (an azure-core raw request hook)."""

    def __init__(self) -> None:
        self.methods: list[str] = []

    def table(self, request: Any) -> None:
        self.methods.append(request.http_request.method)

    def queue(self, request: Any) -> None:
        pass


async def test_a_lease_taken_here_is_released_without_reading_it_first(app: App) -> None:
    assert app.storage is not None
    sent = Sent()
    account = StorageAccount.from_settings(app.settings, prefix=app.storage.prefix, hooks=sent)
    try:
        store = TableLeaseStore(account)
        assert await store.acquire(TENANT, "run/t/1", NOW, TTL)
        await store.release(TENANT, "run/t/1")
        assert sent.methods == ["POST", "DELETE"]  # one insert, one delete under its ETag: no read
        assert await holder(app) is None
    finally:
        await account.aclose()


async def test_a_lease_taken_over_after_it_lapsed_survives_the_first_owners_release(app: App) -> None:
    first, second = leases(app), leases(app)  # two instances
    assert await first.acquire(TENANT, "run/t/1", NOW, TTL)
    assert await second.acquire(TENANT, "run/t/2", NOW + TTL + timedelta(seconds=1), TTL)  # lapsed: taken

    await first.release(TENANT, "run/t/1")

    assert await holder(app) == "run/t/2"
    await second.release(TENANT, "run/t/2")
    assert await holder(app) is None


async def test_a_lease_this_process_did_not_take_is_released_by_its_owner_all_the_same(app: App) -> None:
    assert await leases(app).acquire(TENANT, "run/t/1", NOW, TTL)
    elsewhere = leases(app)  # the same owner's release from a store that did not take it (a restart)

    await elsewhere.release(TENANT, "run/t/1")

    assert await holder(app) is None
