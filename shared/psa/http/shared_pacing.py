"""`SharedLimiter`: a vendor account's pacing through a budget every instance shares in storage.

It claims a block of slots from the shared schedule (`shared.psa.http.schedule.claim`) with one
ETag-guarded write, keeps them in memory and hands one to each request at its time. Another
instance's write in between (a conflict) costs a read and another try. A slot not taken within its
grace is dropped, so a block claimed and then not needed (the process's tenants finished) wastes at
most one block per process. When storage fails, the process keeps to its `1 / PSA_MAX_INSTANCES`
share (`fallback`, the local `RateLimiter`) and says so once in the log; storage is tried again
`retry_storage_after` seconds later.

Each limiter serves one event loop (the app's); its claims take turns under an asyncio lock.
"""

from __future__ import annotations

import asyncio
import logging
import math
import random
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from shared.errors import StorageError
from shared.models import BudgetMark
from shared.psa.http.pacing import RateLimiter
from shared.psa.http.schedule import ScheduleTerms, claim

if TYPE_CHECKING:
    from shared.service.ports import RequestBudget

__all__ = ["BudgetStats", "SharedLimiter"]

log = logging.getLogger(__name__)

_TRIES = 8  # conflicting writes before this claim gives way (acquire claims again)


@dataclass
class BudgetStats:
    """What the shared budget cost: `claims` won, `conflicts` lost to another instance, `storage_calls`
    (reads and writes), `slots` claimed, `sent` requests paced by them, `dropped` slots not used in
    time, `fallback` requests paced locally while storage failed."""

    claims: int = 0
    conflicts: int = 0
    storage_calls: int = 0
    slots: int = 0
    sent: int = 0
    dropped: int = 0
    fallback: int = 0


class SharedLimiter:
    """Requests for `account` paced by the schedule in `budget` (see the module docstring)."""

    def __init__(
        self,
        account: str,
        terms: ScheduleTerms,
        budget: RequestBudget,
        fallback: RateLimiter,
        *,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        retry_storage_after: float = 60.0,
    ) -> None:
        self.account = account
        self.terms = terms
        self.stats = BudgetStats()
        self.waited = 0.0
        self._budget = budget
        self._fallback = fallback
        self._clock = clock  # wall time: the instances' schedules must agree
        self._sleep = sleep
        self._retry_storage_after = retry_storage_after
        self._slots: deque[float] = deque()
        self._mark: BudgetMark | None = None  # the row as this process last wrote or read it
        self._lock: asyncio.Lock | None = None
        self._contended = False  # another instance wrote the row since this process last did
        self._paused_until = -math.inf
        self._local_until = -math.inf  # storage failed: the fallback paces until then
        self._told = False

    async def acquire(self) -> float:
        """Wait for this request's slot; returns the seconds waited."""
        waited = 0.0
        while True:
            now = self._clock()
            if now < self._local_until:
                self.stats.fallback += 1
                return waited + await self._fallback.acquire()
            at = self._take(now)
            if at is None:
                await self._claim()
                continue
            if at > now:
                waited += at - now
                self.waited += at - now
                await self._sleep(at - now)
                now = self._clock()
            if at + self.terms.grace < now or now < self._paused_until:
                self.stats.dropped += 1  # too late (or paused meanwhile): sent now it could break the window
                continue
            self.stats.sent += 1
            return waited

    def pause(self, seconds: float) -> None:
        """No request for `seconds` (the vendor said to wait); the next claim starts after it, so the
        other instances' next blocks do too."""
        self._paused_until = max(self._paused_until, self._clock() + max(0.0, seconds))
        self._fallback.pause(seconds)

    def _take(self, now: float) -> float | None:
        slots = self._slots
        while slots and (slots[0] + self.terms.grace < now or slots[0] < self._paused_until):
            slots.popleft()
            self.stats.dropped += 1
        return slots.popleft() if slots else None

    async def _claim(self) -> None:
        if self._lock is None:
            self._lock = asyncio.Lock()
        async with self._lock:
            if self._slots:
                return  # another request of this process claimed while this one waited
            try:
                await self._claim_block()
            except StorageError as exc:
                self._go_local(exc)

    async def _claim_block(self) -> None:
        # Alone, the row is as this process last wrote it: one write buys the block. Beside other
        # instances it has moved on since: read it first (two calls) instead of losing a write (three).
        mark = self._mark if self._mark is not None and not self._contended else await self._read()
        for _ in range(_TRIES):
            times, tat = claim(mark.tat, self._clock(), self.terms, not_before=self._paused_until)
            self.stats.storage_calls += 1
            written = await self._budget.swap(self.account, mark, tat)
            if written is not None:
                self._mark = written
                self._slots.extend(times)
                self.stats.claims += 1
                self.stats.slots += len(times)
                if self._told:
                    log.info("%s: the shared request budget is back in use", self.account)
                    self._told = False
                return
            self.stats.conflicts += 1
            self._contended = True
            mark = await self._read()
        self._mark = None
        await self._sleep(random.uniform(0, self.terms.interval))  # jitter: instances in step would collide again

    async def _read(self) -> BudgetMark:
        self.stats.storage_calls += 1
        mark = await self._budget.read(self.account)
        # Nobody wrote since this process did: alone again (or for now).
        self._contended = self._mark is None or mark.etag != self._mark.etag
        self._mark = mark
        return mark

    def _go_local(self, exc: StorageError) -> None:
        self._mark = None
        self._local_until = self._clock() + self._retry_storage_after
        if not self._told:
            self._told = True
            log.warning(
                "%s: the shared request budget is unavailable (%s); this process keeps to its "
                "1/PSA_MAX_INSTANCES share of the limit, and tries storage again in %.0f s",
                self.account,
                exc,
                self._retry_storage_after,
            )
