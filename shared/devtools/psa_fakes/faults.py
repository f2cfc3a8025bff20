"""Faults a PSA fake injects on request: an error status, a delay, or a dropped connection.

Each `PsaFault` matches on an optional method and path prefix (segment-wise: `/contacts` covers
`/contacts/5`; given either as sent, `/api/v1/contacts`, or relative to the fake's API root) and
fires `times` times (None: until cleared). `hits` counts the requests it fired on, so a test can
assert that the fault it set up was reached.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Literal

__all__ = ["FaultKind", "FaultSet", "PsaFault"]

FaultKind = Literal["status", "slow", "drop"]


@dataclass
class PsaFault:
    kind: FaultKind
    status: int | None = None  # for "status"
    retry_after: int | None = None  # Retry-After seconds sent with the status (None: no header)
    delay: float = 0.0  # for "slow": seconds to wait before answering normally
    times: int | None = 1  # how many more requests it fires on; None: until cleared
    path_prefix: str | None = None
    method: str | None = None
    hits: int = 0

    def matches(self, method: str, paths: tuple[str, ...]) -> bool:
        if self.times is not None and self.times <= 0:
            return False
        if self.method is not None and self.method.upper() != method.upper():
            return False
        if self.path_prefix is None:
            return True
        prefix = self.path_prefix.rstrip("/").lower() or "/"
        return any(_under(path.lower(), prefix) for path in paths)


def _under(path: str, prefix: str) -> bool:
    return prefix == "/" or path == prefix or path.startswith(prefix + "/")


class FaultSet:
    """The faults switched on, consumed under a lock so that each one fires exactly `times` times."""

    def __init__(self) -> None:
        self._faults: list[PsaFault] = []
        self._lock = threading.Lock()

    def add(self, fault: PsaFault) -> PsaFault:
        with self._lock:
            self._faults.append(fault)
        return fault

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    def take(self, method: str, *paths: str) -> tuple[float, PsaFault | None]:
        """Consume the matching faults: the total delay to sleep, then the first status or drop to answer."""
        delay, failure = 0.0, None
        with self._lock:
            for fault in self._faults:
                if not fault.matches(method, paths):
                    continue
                if fault.kind == "slow":
                    delay += fault.delay
                elif failure is None:
                    failure = fault
                else:
                    continue
                fault.hits += 1
                if fault.times is not None:
                    fault.times -= 1
        return delay, failure
