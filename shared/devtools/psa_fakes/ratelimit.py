"""The two rate limits the PSA fakes model, per key (a client IP, an API key).

- `SlidingWindow(limit, window)`: at most `limit` requests in any `window` seconds (Syncro: 180 a
  minute per IP, from its API docs).
- `TokenBucket(burst, per_minute)`: a bucket of `burst` tokens refilled at `per_minute` a minute, one
  token a request (Alga: burst 120, 60 a minute per API key, from its source).

`acquire` answers a `RateDecision`: allowed or not, and if not, the seconds until a request would pass.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from dataclasses import dataclass
from typing import Protocol

__all__ = ["RateDecision", "RateLimit", "SlidingWindow", "TokenBucket"]


@dataclass(frozen=True)
class RateDecision:
    allowed: bool
    limit: int
    remaining: int
    retry_after: float = 0.0  # seconds until the next request would be allowed (0 when allowed)

    @property
    def retry_after_seconds(self) -> int:
        """`Retry-After` as sent: whole seconds, at least 1."""
        return max(1, math.ceil(self.retry_after))


class RateLimit(Protocol):
    def acquire(self, key: str) -> RateDecision: ...

    def reset(self) -> None: ...


class SlidingWindow:
    def __init__(self, limit: int, window: float = 60.0) -> None:
        if limit < 1 or window <= 0:
            raise ValueError("a sliding window needs limit >= 1 and window > 0")
        self.limit, self.window = limit, window
        self._seen: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def acquire(self, key: str) -> RateDecision:
        now = time.monotonic()
        with self._lock:
            seen = self._seen.setdefault(key, deque())
            while seen and seen[0] <= now - self.window:
                seen.popleft()
            if len(seen) >= self.limit:
                return RateDecision(False, self.limit, 0, seen[0] + self.window - now)
            seen.append(now)
            return RateDecision(True, self.limit, self.limit - len(seen))

    def used(self, key: str) -> int:
        """Requests allowed for `key` in the last `window` seconds."""
        now = time.monotonic()
        with self._lock:
            return sum(1 for at in self._seen.get(key, ()) if at > now - self.window)

    def reset(self) -> None:
        with self._lock:
            self._seen.clear()


class TokenBucket:
    def __init__(self, burst: int, per_minute: float) -> None:
        if burst < 1 or per_minute <= 0:
            raise ValueError("a token bucket needs burst >= 1 and per_minute > 0")
        self.burst, self.per_second = burst, per_minute / 60.0
        self._buckets: dict[str, tuple[float, float]] = {}  # key -> (tokens, at)
        self._lock = threading.Lock()

    def acquire(self, key: str) -> RateDecision:
        now = time.monotonic()
        with self._lock:
            tokens, at = self._buckets.get(key, (float(self.burst), now))
            tokens = min(float(self.burst), tokens + (now - at) * self.per_second)
            if tokens < 1.0:
                self._buckets[key] = (tokens, now)
                return RateDecision(False, self.burst, 0, (1.0 - tokens) / self.per_second)
            self._buckets[key] = (tokens - 1.0, now)
            return RateDecision(True, self.burst, int(tokens - 1.0))

    def reset(self) -> None:
        with self._lock:
            self._buckets.clear()
