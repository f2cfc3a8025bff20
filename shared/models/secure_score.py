"""A client's Secure Score over time: one point per day (the day Microsoft computed the score), kept
by each full pass and read back for the trend report."""

from __future__ import annotations

from datetime import date

from shared.models.base import WireModel

__all__ = ["ScorePoint"]


class ScorePoint(WireModel):
    date: date
    current_score: float
    max_score: float | None = None
    tenant_id: str
