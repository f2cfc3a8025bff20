"""Progress lines on stderr for a run that takes a while (issue 16: a person can tell slow from stuck).

The queue driver calls the reporter every `progress_every` seconds while it drains (`QueueDriver.drain`),
so a run shorter than that prints nothing."""

from __future__ import annotations

import sys
import time
from collections.abc import Awaitable, Callable

from shared.models import RunRecord

__all__ = ["PROGRESS_EVERY", "run_progress"]

PROGRESS_EVERY = 5.0  # seconds between two lines


def run_progress(
    read: Callable[[], Awaitable[RunRecord | None]],
    label: str,
    expected: int,
    *,
    extra: Callable[[], str] | None = None,
) -> Callable[[], Awaitable[None]]:
    """A reporter that reads the run (`read`) and prints `label: done/expected tenants, rate, elapsed`."""
    started = time.perf_counter()

    async def report() -> None:
        current = await read()
        done, elapsed = (current.tenants_processed if current else 0), time.perf_counter() - started
        line = f"{label}: {done}/{expected} tenants, {done / elapsed:.1f} tenants/s, {elapsed:.0f} s"
        print(line + (f", {extra()}" if extra is not None else ""), file=sys.stderr, flush=True)

    return report
