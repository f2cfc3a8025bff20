"""Drains the real queue with the handlers the Functions host would call, as the host does:
up to `batch_size` messages at once, a failed message retried until its `max_dequeue`th try, then
moved to `<queue>-poison` and handed to the poison handler.

With `new_batch_threshold` the driver fetches as the host does (host.json `queues.newBatchThreshold`):
the next batch as soon as the messages in flight drop to that many, so up to batch_size +
new_batch_threshold run at once; without it, each batch is finished before the next is fetched.
`drain(progress=...)` is called every `progress_every` seconds (a long bench says how far it got).
A message is fetched hidden for `visibility_timeout` seconds (the host keeps a message it works on
hidden until its function ends, up to the function timeout: 10 minutes); a failed one comes back at once."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable

from azure.functions.queue import QueueMessage as FuncQueueMessage
from azure.storage.queue import QueueMessage
from azure.storage.queue.aio import QueueClient

from shared.models.queue import POISON_QUEUE, SYNC_QUEUE
from shared.store.account import StorageAccount

__all__ = ["Handler", "QueueDriver"]

log = logging.getLogger(__name__)
Handler = Callable[[FuncQueueMessage], Awaitable[None]]


class QueueDriver:
    def __init__(
        self,
        account: StorageAccount,
        worker: Handler,
        poison: Handler,
        *,
        batch_size: int = 8,
        max_dequeue: int = 5,
        visibility_timeout: int = 600,
        new_batch_threshold: int | None = None,
    ) -> None:
        self._queue = account.queue(SYNC_QUEUE)
        self._poison_queue = account.queue(POISON_QUEUE)
        self._worker, self._poison = worker, poison
        self._batch_size, self._max_dequeue, self._visibility = batch_size, max_dequeue, visibility_timeout
        self._threshold = new_batch_threshold
        self.handled = 0
        self.failures = 0

    async def drain(
        self,
        done: Callable[[], Awaitable[bool]],
        *,
        limit_seconds: float = 600.0,
        progress: Callable[[], Awaitable[None]] | None = None,
        progress_every: float = 5.0,
    ) -> None:
        """Handle messages until `done()` says so (checked whenever both queues are empty)."""
        deadline = time.monotonic() + limit_seconds
        reported = time.monotonic()
        in_flight: set[asyncio.Task[None]] = set()
        try:
            while time.monotonic() < deadline:
                if progress is not None and time.monotonic() - reported >= progress_every:
                    reported = time.monotonic()
                    await progress()
                if self._threshold is None:
                    worked = await self._round(self._queue, self._handle)
                else:
                    worked = await self._overlapped(in_flight)
                if in_flight:
                    continue
                worked += await self._round(self._poison_queue, self._handle_poison)
                if not worked:
                    if await done():
                        return
                    await asyncio.sleep(0.1)
        finally:
            for task in in_flight:
                task.cancel()
        raise TimeoutError(f"the queue did not settle within {limit_seconds:.0f} s")

    async def _overlapped(self, in_flight: set[asyncio.Task[None]]) -> int:
        """The host's way: fetch more once at most `new_batch_threshold` messages are in flight, else
        wait for one to finish. Returns the messages fetched."""
        assert self._threshold is not None
        fetched = 0
        if len(in_flight) <= self._threshold:
            messages = [
                m
                async for m in self._queue.receive_messages(
                    messages_per_page=self._batch_size,
                    max_messages=self._batch_size,
                    visibility_timeout=self._visibility,
                )
            ]
            in_flight.update(asyncio.create_task(self._handle(m)) for m in messages)
            fetched = len(messages)
        if in_flight and (fetched == 0 or len(in_flight) > self._threshold):
            finished, _ = await asyncio.wait(in_flight, timeout=1.0, return_when=asyncio.FIRST_COMPLETED)
            in_flight.difference_update(finished)
            for task in finished:
                task.result()  # _handle catches the worker's errors; anything else is the driver's bug
        return fetched

    async def _round(self, queue: QueueClient, handle: Callable[[QueueMessage], Awaitable[None]]) -> int:
        messages = [
            m
            async for m in queue.receive_messages(
                messages_per_page=self._batch_size, max_messages=self._batch_size, visibility_timeout=self._visibility
            )
        ]
        if messages:
            await asyncio.gather(*(handle(m) for m in messages))
        return len(messages)

    async def _handle(self, message: QueueMessage) -> None:
        try:
            await self._worker(_as_function_message(message))
        except Exception as exc:
            self.failures += 1
            if (message.dequeue_count or 1) >= self._max_dequeue:
                log.warning(
                    "message %s failed %d times, to the poison queue: %s", message.id, message.dequeue_count, exc
                )
                await self._poison_queue.send_message(message.content)
                await self._queue.delete_message(message)
            else:
                log.info("message %s failed (try %d): %s", message.id, message.dequeue_count, exc)
                # The host waits for the visibility timeout; the driver retries at once to keep demos quick.
                await self._queue.update_message(message, visibility_timeout=0)
            return
        self.handled += 1
        await self._queue.delete_message(message)

    async def _handle_poison(self, message: QueueMessage) -> None:
        await self._poison(_as_function_message(message, dequeue_count=self._max_dequeue))
        await self._poison_queue.delete_message(message)


def _as_function_message(message: QueueMessage, dequeue_count: int | None = None) -> FuncQueueMessage:
    body = message.content if isinstance(message.content, str) else str(message.content)
    return FuncQueueMessage(  # type: ignore[no-untyped-call]
        id=message.id,
        body=body.encode(),
        dequeue_count=dequeue_count or message.dequeue_count,
        pop_receipt=message.pop_receipt,
    )
