"""TableLeaseStore on Azurite (issue 13): a lease whose owner is provably gone is taken over at once,
under its ETag, instead of holding the tenant until it lapses; any other live lease still holds."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from shared.bootstrap import App
from shared.store.leases import TableLeaseStore

pytestmark = pytest.mark.integration

NOW = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)
TTL = timedelta(minutes=10)
TENANT = "d4db95b7-337d-540d-8a9f-13b6f9b2058a"
DEAD, LIVE, NEXT = "r1/t/try-1", "r2/t/try-1", "r1/t/try-2"


async def test_a_lease_of_an_owner_known_gone_is_taken_over_and_no_other(app: App) -> None:
    assert app.storage is not None
    store = TableLeaseStore(app.storage)
    assert await store.acquire(TENANT, DEAD, NOW, TTL)

    assert not await store.acquire(TENANT, NEXT, NOW, TTL)  # held, and not lapsed
    assert not await store.acquire(TENANT, NEXT, NOW, TTL, take_over=LIVE)  # not the owner named
    assert await store.acquire(TENANT, NEXT, NOW, TTL, take_over=DEAD)

    assert await store.holder(TENANT) == NEXT
    await store.release(TENANT, DEAD)  # the dead owner's late release leaves the new owner's lease
    assert await store.holder(TENANT) == NEXT
    await store.release(TENANT, NEXT)
    assert await store.holder(TENANT) is None
