"""Faults switched on at run time, and the per-tenant rate limit of the MFA report.

A `Fault` answers matching requests with an error status (429 and 503 with `Retry-After`, or any
other) or delays them (`delay` seconds, then served normally). It can be scoped to one tenant, to
one path prefix (Graph paths are relative to `/v1.0`, e.g. `/users` also covers `/users/delta`)
and to a number of times; `times=None` means until removed.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from dataclasses import dataclass
from typing import Literal

__all__ = ["Fault", "FaultSet", "RateLimiter", "Service"]

Service = Literal["graph", "login"]


@dataclass
class Fault:
    service: Service
    status: int | None = None  # None: a slow-down only
    delay: float = 0.0
    tenant: str | None = None
    path: str | None = None
    times: int | None = None
    retry_after: int | None = None
    code: str | None = None
    message: str | None = None
    hits: int = 0

    def matches(self, service: Service, tenant: str | None, path: str) -> bool:
        if service != self.service or self.times == 0:
            return False
        if self.tenant is not None and (tenant is None or tenant.lower() != self.tenant.lower()):
            return False
        if self.path is not None:
            prefix = self.path.rstrip("/").lower()
            lowered = path.lower()
            if not (lowered == prefix or lowered.startswith(prefix + "/")):
                return False
        return True


class FaultSet:
    def __init__(self) -> None:
        self._faults: list[Fault] = []
        self._lock = threading.Lock()

    def add(self, fault: Fault) -> Fault:
        with self._lock:
            self._faults.append(fault)
        return fault

    def remove(self, fault: Fault) -> None:
        with self._lock:
            if fault in self._faults:
                self._faults.remove(fault)

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    def take(self, service: Service, tenant: str | None, path: str) -> tuple[float, Fault | None]:
        """Consume the matching faults: the total delay to sleep, then the first error to answer."""
        delay, failure = 0.0, None
        with self._lock:
            for fault in self._faults:
                if not fault.matches(service, tenant, path):
                    continue
                if fault.status is None:
                    delay += fault.delay
                elif failure is None:
                    failure = fault
                else:
                    continue
                fault.hits += 1
                if fault.times is not None:
                    fault.times -= 1
        return delay, failure


class RateLimiter:
    """At most `limit` requests per `window` seconds per key; `check` answers the seconds to wait."""

    def __init__(self, limit: int, window: float) -> None:
        self.limit, self.window = limit, window
        self._seen: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def check(self, key: str) -> int | None:
        now = time.monotonic()
        with self._lock:
            seen = self._seen.setdefault(key, deque())
            while seen and seen[0] <= now - self.window:
                seen.popleft()
            if len(seen) >= self.limit:
                return max(1, math.ceil(seen[0] + self.window - now))
            seen.append(now)
            return None

    def reset(self) -> None:
        with self._lock:
            self._seen.clear()
