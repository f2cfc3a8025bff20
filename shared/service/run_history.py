"""Run history a page at a time, newest first (R7.2)."""

from __future__ import annotations

from shared.models import RunRecord
from shared.models.base import WireModel
from shared.service.app import App

__all__ = ["RunPage", "runs_page"]


class RunPage(WireModel):
    runs: list[RunRecord]
    next: str | None = None  # pass as ?after= for the next page; None on the last page


async def runs_page(app: App, limit: int, after: str | None = None) -> RunPage:
    """`limit` runs after the run id `after` (the previous page's `next`)."""
    runs = await app.runs.page(limit + 1, after)  # one more than asked says whether a next page exists
    more = len(runs) > limit
    return RunPage(runs=runs[:limit], next=runs[limit - 1].run_id if more else None)
