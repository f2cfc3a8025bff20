"""Pacing under a vendor's request rate, shared by every connector, worker and instance of the app.

Why this holds the vendor's limit across the whole app:

* **Within a process.** The Functions host runs several queue messages (tenants) at once in one
  Python worker process (`host.json` `batchSize`), each with its own connector calls. Every connector
  of the app built for one vendor account shares one limiter, so all of their requests draw from one
  schedule.
* **Across instances: a budget shared in storage.** Flex Consumption scales out to at most
  `maximumInstanceCount` instances, which cannot see each other's memory. The app's limiter for a
  vendor account (`SharedLimiter`, `shared.psa.http.shared_pacing`) claims blocks of 16-40 request
  slots from one schedule kept in a storage row (`RequestBudget`, an ETag-guarded row per vendor
  account) and sends them at their times: all instances together keep the vendor's window, and one
  instance alone gets the whole of it (the arithmetic and why it holds: `shared.psa.http.schedule`).
  A storage write buys a block, so it costs at most 1/16 of a transaction per request alone (a read
  and a write a block beside other instances).
* **When storage fails.** The limiter falls back to this process's `1 / PSA_MAX_INSTANCES` share of
  the limit (`Pace.per_process`, the local `RateLimiter`), logs it once, and tries storage again a
  minute later. The Bicep sets `PSA_MAX_INSTANCES` from `maximumInstanceCount`, so N instances at full
  speed on their fallback together stay under the limit. (More worker processes per instance,
  `FUNCTIONS_WORKER_PROCESS_COUNT` > 1, would need the count multiplied by them.)
* **Headroom.** We keep `HEADROOM` of the vendor's published limit (network jitter can bunch requests
  at the vendor's end and instance clocks differ by milliseconds); an operator's own share (Autotask's
  hourly requests) is kept whole: `Pace(headroom=1)`. A vendor that counts a sliding window (`burst`
  0: Syncro, HaloPSA, ConnectWise, Autotask's hour) gets no burst.

A throttled answer (429) `pause`s the limiter: every request of the process waits out the vendor's
`Retry-After`, and the shared schedule's next claim starts after the pause, so the other instances
wait too from their next block on.

`RateLimiter`, the local fallback, is a GCRA (the virtual-scheduling form of a token bucket): each
`acquire` reserves the next free slot at once, under a thread lock and without awaiting, then sleeps
until it. It holds no asyncio primitive, so one limiter serves every event loop of the process.
"""

from __future__ import annotations

import asyncio
import math
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Protocol

from shared.psa.http.schedule import ScheduleTerms

__all__ = ["HEADROOM", "Limiter", "Pace", "RateLimiter", "shared_limiter"]

HEADROOM = 0.97  # the share of the vendor's budget we use


@dataclass(frozen=True)
class Pace:
    """A vendor's published limit: `per_minute` requests a minute, after a `burst` (0: the vendor
    counts a sliding window of `window_seconds`, one minute unless it says otherwise, e.g. HaloPSA's
    rolling 5 minutes or Autotask's hour, and allows no burst), shared by `instances` processes when
    each keeps to its own share (the fallback). `headroom`: the share of the limit used (`HEADROOM` of
    a vendor's published limit; 1 for an operator's own share, Autotask's hourly requests)."""

    per_minute: float
    burst: int = 0
    instances: int = 1
    window_seconds: float = 60.0
    headroom: float = HEADROOM

    def shared_terms(self) -> ScheduleTerms:
        """The schedule every instance shares through storage: the whole limit, less headroom."""
        if self.burst <= 0:
            limit = math.floor(self.per_minute * self.window_seconds / 60 * self.headroom + 1e-9)
            return ScheduleTerms.sliding(limit, self.window_seconds)
        burst = max(1, math.floor(self.burst * self.headroom))
        return ScheduleTerms.bucket(burst, self.per_minute / 60 * self.headroom)

    def per_process(self) -> tuple[float, int]:
        """(steady requests a second, burst) for one process: its 1/instances share, less headroom.

        For a sliding window the steady rate leaves room for the one-request bucket, so no window of
        `window_seconds` ever holds more than the share."""
        if self.burst <= 0:
            share = self.per_minute * self.window_seconds / 60 * self.headroom / self.instances
            return max(share - 1, share / 2) / self.window_seconds, 1
        share = self.per_minute * self.headroom / self.instances
        return share / 60, max(1, math.floor(self.burst * self.headroom / self.instances))


class Limiter(Protocol):
    """What a connector's HTTP client needs of its pacing: a slot per request, and a pause on 429."""

    waited: float

    async def acquire(self) -> float: ...

    def pause(self, seconds: float) -> None: ...


class RateLimiter:
    """Requests at most `rate` a second after a burst of `burst` (see the module docstring)."""

    def __init__(
        self,
        rate: float,
        burst: int = 1,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        if rate <= 0 or burst < 1:
            raise ValueError(f"a rate limit needs a positive rate and burst, not {rate}/s and {burst}")
        self.rate = rate
        self.burst = burst
        self._interval = 1.0 / rate
        self._tolerance = (burst - 1) * self._interval
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._tat = -math.inf  # theoretical arrival time of the next request
        self._paused_until = -math.inf
        self.waited = 0.0  # seconds requests spent waiting here, all together

    async def acquire(self) -> float:
        """Wait for this request's slot; returns the seconds waited. A pause that starts while
        waiting pushes the request past the pause."""
        waited = 0.0
        while True:
            delay = self._reserve()
            if delay > 0:
                waited += delay
                self.waited += delay
                await self._sleep(delay)
            if self._clock() >= self._paused_until:
                return waited

    def pause(self, seconds: float) -> None:
        """No request for `seconds` (the vendor said to wait), then the steady rate without a burst."""
        with self._lock:
            until = self._clock() + max(0.0, seconds)
            self._paused_until = max(self._paused_until, until)
            self._tat = max(self._tat, until + self._tolerance)

    def _reserve(self) -> float:
        with self._lock:
            now = self._clock()
            start = max(now, self._paused_until)
            allowed = max(start, self._tat - self._tolerance)
            self._tat = max(self._tat, allowed) + self._interval
            return allowed - now


_limiters: dict[tuple[str, float, int], RateLimiter] = {}
_registry_lock = threading.Lock()


def shared_limiter(account: str, pace: Pace) -> RateLimiter:
    """The process's one local limiter for a vendor account (e.g. `"syncro https://acme.syncromsp.com"`)
    at its `1 / instances` share: every connector built for it in this process shares it."""
    rate, burst = pace.per_process()
    key = (account, rate, burst)
    with _registry_lock:
        limiter = _limiters.get(key)
        if limiter is None:
            limiter = _limiters[key] = RateLimiter(rate, burst)
        return limiter
