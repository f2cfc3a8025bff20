"""Client-side request limits for Graph endpoints with a published per-tenant quota.

`userRegistrationDetails` (the MFA report) allows 5 requests per 10 seconds per tenant and answers
429 beyond that. The SDK's retry handler would recover after Retry-After, but a large tenant's report
pages would trip it on every pass; pacing the pages ourselves keeps them under the quota.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass

__all__ = ["REGISTRATION_REPORT_RATE", "Rate", "RequestLimiter"]


@dataclass(frozen=True)
class Rate:
    requests: int
    seconds: float


REGISTRATION_REPORT_RATE = Rate(requests=5, seconds=10.0)


class RequestLimiter:
    """At most `rate.requests` requests in any `rate.seconds`, for one tenant.

    A request counts from the moment it is let through until `rate.seconds` after its response came
    back, so it still counts when it reaches Graph late: the server's window, wherever it starts, never
    sees more than the quota. `clock` (monotonic seconds) and `sleep` can be faked in tests.
    """

    def __init__(
        self,
        rate: Rate = REGISTRATION_REPORT_RATE,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        if rate.requests < 1 or rate.seconds <= 0:
            raise ValueError(f"a rate needs at least one request per positive period, not {rate}")
        self.rate = rate
        self._clock, self._sleep = clock, sleep
        self._finished: deque[float] = deque()  # when each recent request's response came back
        self._in_flight = 0
        self._changed = asyncio.Condition()

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        """Wait for room under the quota, then hold it while the request runs."""
        await self._enter()
        try:
            yield
        finally:
            async with self._changed:
                self._in_flight -= 1
                self._finished.append(self._clock())
                self._changed.notify_all()

    async def _enter(self) -> None:
        while True:
            async with self._changed:
                now = self._clock()
                while self._finished and self._finished[0] <= now - self.rate.seconds:
                    self._finished.popleft()
                if self._in_flight + len(self._finished) < self.rate.requests:
                    self._in_flight += 1
                    return
                if not self._finished:  # every slot is in flight: the next free one comes with a response
                    await self._changed.wait()
                    continue
                delay = self._finished[0] + self.rate.seconds - now
            await self._sleep(delay)
