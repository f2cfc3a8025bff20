"""TableWebhookReceipts on Azurite: a signed request is recorded once, atomically; old days are swept."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from shared.bootstrap import App
from shared.store.names import Table
from shared.store.webhook_receipts import TableWebhookReceipts

NOW = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)


def receipts(app: App) -> TableWebhookReceipts:
    assert app.storage is not None
    return TableWebhookReceipts(app.storage)


async def rows(app: App) -> set[tuple[str, str]]:
    assert app.storage is not None
    table = app.storage.table(Table.WEBHOOK_RECEIPTS)
    return {(e["PartitionKey"], e["RowKey"]) async for e in table.list_entities()}


async def test_a_key_is_recorded_once_and_another_key_is_its_own(app: App) -> None:
    store = receipts(app)
    assert await store.first_time("a" * 64, NOW) is True
    assert await store.first_time("a" * 64, NOW) is False
    assert await store.first_time("b" * 64, NOW) is True


async def test_two_copies_arriving_at_once_pass_exactly_once(app: App) -> None:
    stores = [receipts(app) for _ in range(6)]  # as if on six instances
    answers = await asyncio.gather(*(s.first_time("c" * 64, NOW) for s in stores))
    assert sorted(answers) == [False] * 5 + [True]


async def test_a_forgotten_receipt_can_be_recorded_again(app: App) -> None:
    store = receipts(app)
    await store.first_time("d" * 64, NOW)
    await store.forget("d" * 64, NOW)
    assert await store.first_time("d" * 64, NOW) is True


async def test_a_new_day_sweeps_receipts_older_than_yesterday_and_keeps_yesterdays(app: App) -> None:
    old = receipts(app)
    for days in (4, 2, 1):
        await old.first_time(f"{days:064d}", NOW - timedelta(days=days))

    await receipts(app).first_time("e" * 64, NOW)

    assert await rows(app) == {("20250302", f"{1:064d}"), ("20250303", "e" * 64)}
