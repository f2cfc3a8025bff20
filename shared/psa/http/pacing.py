"""Pacing under a vendor's request rate, shared by every connector and worker of the process.

Why this holds the vendor's limit across the whole app:

* **Within a process.** The Functions host runs several queue messages (tenants) at once in one
  Python worker process (`host.json` `batchSize`), each with its own connector calls. `shared_limiter`
  hands every connector of the process that talks to the same vendor account the *same* `RateLimiter`,
  so all of their requests draw from one schedule.
* **Across instances.** Flex Consumption scales out to at most `maximumInstanceCount` instances (one
  worker process each), which cannot see each other's schedule. Each process therefore takes only
  `1 / PSA_MAX_INSTANCES` of the vendor's budget (`Pace.per_process`): N instances at full speed together
  stay under the limit. The Bicep sets `PSA_MAX_INSTANCES` from `maximumInstanceCount`, so the two
  cannot drift apart. (More worker processes per instance, `FUNCTIONS_WORKER_PROCESS_COUNT` > 1, would
  need the count multiplied by them.)
* **What it costs.** An instance running alone still keeps to its share: a large initial sync runs up
  to N times slower than the vendor would allow (Syncro at N = 10: about 17 requests a minute, so about
  an hour per thousand new contacts). Lower `maximumInstanceCount` (and so `PSA_MAX_INSTANCES`) to give
  each instance more; a budget shared through storage would cost a storage round trip per request and
  was not built.
* **Headroom.** We keep `HEADROOM` of the share (network jitter can bunch requests at the vendor's
  end), and a vendor that counts a sliding window (`burst` 0: Syncro) gets no burst at all, since a
  burst plus a full minute's rate would break a per-minute window.

A throttled answer (429) `pause`s the limiter: every request of the process waits out the vendor's
`Retry-After`, and the burst is spent, so requests resume at the steady rate.

The limiter is a GCRA (the virtual-scheduling form of a token bucket): each `acquire` reserves the
next free slot at once, under a thread lock and without awaiting, then sleeps until it. It holds no
asyncio primitive, so one limiter serves every event loop of the process (tests run many).
"""

from __future__ import annotations

import asyncio
import math
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

__all__ = ["HEADROOM", "Pace", "RateLimiter", "shared_limiter"]

HEADROOM = 0.97  # the share of the vendor's budget we use


@dataclass(frozen=True)
class Pace:
    """A vendor's published limit: `per_minute` requests a minute, after a `burst` (0: the vendor
    counts a sliding window of `window_seconds`, one minute unless it says otherwise, e.g. HaloPSA's
    rolling 5 minutes or Autotask's hour, and allows no burst), shared by `instances` processes."""

    per_minute: float
    burst: int = 0
    instances: int = 1
    window_seconds: float = 60.0

    def per_process(self) -> tuple[float, int]:
        """(steady requests a second, burst) for one process: its 1/instances share, less headroom.

        For a sliding window the steady rate leaves room for the one-request bucket, so no window of
        `window_seconds` ever holds more than the share."""
        if self.burst <= 0:
            share = self.per_minute * self.window_seconds / 60 * HEADROOM / self.instances
            return max(share - 1, share / 2) / self.window_seconds, 1
        share = self.per_minute * HEADROOM / self.instances
        return share / 60, max(1, math.floor(self.burst * HEADROOM / self.instances))


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
    """The process's one limiter for a vendor account (e.g. `"syncro https://acme.syncromsp.com"`):
    every connector built for it in this process shares it."""
    rate, burst = pace.per_process()
    key = (account, rate, burst)
    with _registry_lock:
        limiter = _limiters.get(key)
        if limiter is None:
            limiter = _limiters[key] = RateLimiter(rate, burst)
        return limiter
