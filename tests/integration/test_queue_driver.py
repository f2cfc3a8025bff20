"""The dev tools' queue driver against Azurite's queue: with `new_batch_threshold` it fetches the next
batch once that few messages are in flight, as the Functions host does (at most batchSize +
newBatchThreshold at once); without it each batch is finished first. `progress` is called as it goes."""

from __future__ import annotations

import asyncio
import json

import pytest
from azure.functions import QueueMessage as FuncQueueMessage

from shared.bootstrap import App
from shared.devtools.driver import QueueDriver
from shared.models.queue import SYNC_QUEUE


class Worker:
    def __init__(self) -> None:
        self.running = self.most = self.done = 0

    async def __call__(self, msg: FuncQueueMessage) -> None:
        self.running += 1
        self.most = max(self.most, self.running)
        await asyncio.sleep(0.15 * (1 + json.loads(msg.get_body())["n"] % 4))  # they finish one by one
        self.running -= 1
        self.done += 1


async def _poison(msg: FuncQueueMessage) -> None:
    raise AssertionError("nothing fails here")


@pytest.mark.parametrize(("threshold", "least", "most"), [(None, 1, 4), (2, 5, 6)], ids=["batch-by-batch", "host-like"])
async def test_the_driver_overlaps_batches_as_the_host_does(
    app: App, threshold: int | None, least: int, most: int
) -> None:
    assert app.storage is not None
    queue = app.storage.queue(SYNC_QUEUE)
    for n in range(16):
        await queue.send_message(f'{{"n": {n}}}')
    worker, reports = Worker(), []

    async def done() -> bool:
        return worker.done == 16

    async def progress() -> None:
        reports.append(worker.done)

    driver = QueueDriver(app.storage, worker, _poison, batch_size=4, new_batch_threshold=threshold)
    await driver.drain(done, limit_seconds=60, progress=progress, progress_every=0.1)

    # host-like: a second batch joined the first (timing on a loaded machine may let one more finish
    # while the next batch is fetched), never more than batchSize + newBatchThreshold at once
    assert worker.done == driver.handled == 16 and least <= worker.most <= most
    assert reports and reports == sorted(reports)
