"""R4.4 Secure Score trend: the latest daily point and its change over 7 and 30 days, when known."""

from __future__ import annotations

from datetime import date, timedelta

from shared.models.secure_score import ScorePoint
from shared.service.reports import score_trend

LATEST = date(2026, 11, 22)


def point(days_before: int, score: float, tenant: str = "t1") -> ScorePoint:
    return ScorePoint(date=LATEST - timedelta(days=days_before), current_score=score, max_score=80, tenant_id=tenant)


def test_r4_4_changes_over_7_and_30_days_compare_with_the_score_that_many_days_before() -> None:
    history = [point(0, 41.5), point(30, 35.0), point(7, 40.25), point(8, 39.0), point(1, 41.0)]

    trend = score_trend("c1", history)

    assert trend.latest == point(0, 41.5)
    assert (trend.change_7_days, trend.change_30_days) == (1.25, 6.5)
    assert [p.date for p in trend.history] == sorted(p.date for p in history)  # oldest first


def test_r4_4_a_missing_day_falls_back_to_a_point_up_to_two_days_earlier() -> None:
    trend = score_trend("c1", [point(0, 50), point(9, 45), point(33, 20)])

    assert (trend.change_7_days, trend.change_30_days) == (5, None)  # 9 days back: yes; 33: too far


def test_r4_4_no_change_is_known_from_one_point_or_across_another_tenant() -> None:
    assert score_trend("c1", [point(0, 50)]).change_7_days is None
    # The client was mapped to another tenant since: its old scores are not this tenant's trend.
    assert score_trend("c1", [point(0, 50), point(7, 30, tenant="t0")]).change_7_days is None


def test_r4_4_a_client_without_scores_has_an_empty_trend() -> None:
    trend = score_trend("c1", [])

    assert (trend.latest, trend.change_7_days, trend.change_30_days, trend.history) == (None, None, None, [])
