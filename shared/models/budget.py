"""A shared request budget's row as its port hands it over: the schedule's next free time and the
version (ETag) it was read at."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["BudgetMark"]


@dataclass(frozen=True)
class BudgetMark:
    """`tat`: the shared schedule's theoretical arrival time, in seconds of the Unix epoch (0: never
    used); `etag`: the row's version, None while there is no row."""

    tat: float = 0.0
    etag: str | None = None
