"""The arithmetic of a request budget shared by every instance of the app. Pure: no clock, no I/O.

One schedule per vendor account, a GCRA (`tat`: the theoretical arrival time of the next request),
kept in a storage row that every instance updates under its ETag. An instance *claims* a block of
`block` slots at once: slot times e_0 <= e_1 <= ... in the shared schedule (`claim`); it then sends
request i no earlier than e_i and no later than e_i + `grace`. A slot missed by more is dropped, never
sent late: late sends could bunch with later slots and break the vendor's window.

Why every window holds the limit, whatever the number of instances: the slots of all instances
together follow GCRA(`interval`, `tolerance`), so any closed span of D seconds holds at most
1 + (D + tolerance) / interval slots; sends lag their slots by at most `grace`, so a span of D holds
at most 1 + (D + grace + tolerance) / interval sends (`most_in_span`).

* **A sliding window** of L requests per W seconds (Syncro, HaloPSA, ConnectWise, Autotask's hour):
  tolerance 0, interval (W + grace) / (L - 1): at most L in any W. The loss against the limit is
  (1 + grace / W) / (1 - 1/L): about 3 % for Syncro's 180 a minute with a one-second grace.
* **A token bucket** of burst B refilled at r a second (Alga): interval 1/r, tolerance
  (B - 1)/r - grace: at most B + r * D in any span D, which is what the bucket lets through.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

__all__ = ["GRACE", "ScheduleTerms", "claim", "most_in_span"]

GRACE = 1.0  # seconds a request may leave after its slot (event-loop lag); later, the slot is dropped
# A block holds about this much of the schedule, within these counts: alone a block costs one storage
# write, beside other instances a read and a write, so 20 or more keep that at 0.1 a request or less.
_BLOCK_SECONDS = 20.0
_MIN_BLOCK, _MAX_BLOCK = 16, 40


@dataclass(frozen=True)
class ScheduleTerms:
    """The shared schedule's `interval` (seconds between slots) and `tolerance` (how far ahead of the
    schedule a slot may be: the burst), each send's `grace`, and the slots claimed at once (`block`)."""

    interval: float
    tolerance: float = 0.0
    grace: float = GRACE
    block: int = _MIN_BLOCK

    @classmethod
    def sliding(cls, limit: int, window: float, grace: float = GRACE) -> ScheduleTerms:
        """At most `limit` requests in any `window` seconds."""
        if limit < 2 or window <= 0:
            raise ValueError(f"a shared sliding window needs a limit of 2 or more, not {limit} per {window}s")
        interval = (window + grace) / (limit - 1)
        return cls(interval, 0.0, grace, _block(interval, limit))

    @classmethod
    def bucket(cls, burst: int, per_second: float, grace: float = GRACE) -> ScheduleTerms:
        """A token bucket of `burst` refilled at `per_second`."""
        if burst < 1 or per_second <= 0:
            raise ValueError(f"a shared token bucket needs burst >= 1 and a positive rate, not {burst}, {per_second}")
        interval = 1.0 / per_second
        tolerance = max(0.0, (burst - 1) * interval - grace)
        return cls(interval, tolerance, grace, _block(interval, burst + 1))

    @property
    def per_second(self) -> float:
        return 1.0 / self.interval


def _block(interval: float, limit: int) -> int:
    # Fewer storage writes want big blocks; a block is wasted at most once per process, and a small
    # limit must not go to one instance's block: at most a quarter of it.
    wanted = max(_MIN_BLOCK, min(_MAX_BLOCK, round(_BLOCK_SECONDS / interval)))
    return max(1, min(wanted, limit // 4))


def claim(tat: float, now: float, terms: ScheduleTerms, *, not_before: float = -math.inf) -> tuple[list[float], float]:
    """A block claimed at `now` from the schedule at `tat`: its slot times (none before `not_before`,
    e.g. the end of the vendor's `Retry-After`) and the schedule's new `tat`."""
    start = max(now, not_before)
    times: list[float] = []
    for _ in range(terms.block):
        at = max(start, tat - terms.tolerance)
        times.append(at)
        tat = max(tat, at) + terms.interval
    return times, tat


def most_in_span(terms: ScheduleTerms, span: float) -> int:
    """The most sends any closed span of `span` seconds can hold, over every instance (module docstring)."""
    return 1 + math.floor((span + terms.grace + terms.tolerance) / terms.interval + 1e-9)
