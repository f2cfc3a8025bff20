"""Autotask's hourly budget (R8.7): the app spends at most the operator's share, counted across every
instance, and HaloPSA's rolling 5 minutes likewise (`Pace.window_seconds`)."""

from __future__ import annotations

import pytest

from shared.config import load_settings
from shared.psa.http import HEADROOM, Pace
from tests.unit.test_psa_http_client import FakeTime
from tests.unit.test_psa_http_pacing import limiter_for, most_in_any_window, send_times


async def test_r8_7_the_autotask_share_is_never_exceeded_in_any_hour_across_all_instances() -> None:
    instances, per_hour = 4, 2000
    all_times: list[float] = []
    for _ in range(instances):  # each instance's process has its own limiter, all start together
        time = FakeTime()
        pace = Pace(per_minute=per_hour / 60, instances=instances, window_seconds=3600)
        all_times += await send_times(limiter_for(pace, time), time, 1200)

    assert most_in_any_window(sorted(all_times), window=3600) <= per_hour * HEADROOM
    assert most_in_any_window(sorted(all_times), window=3600) >= 0.95 * per_hour * HEADROOM  # and used


async def test_r8_7_halos_300_per_rolling_5_minutes_is_kept() -> None:
    time = FakeTime()
    times = await send_times(limiter_for(Pace(per_minute=60, window_seconds=300), time), time, 1000)

    assert most_in_any_window(times, window=300) <= 300
    assert (len(times) - 1) / ((times[-1] - times[0]) / 300) >= 0.95 * 300  # and the budget is used


def test_a_minute_window_paces_as_before() -> None:
    assert Pace(per_minute=180).per_process() == Pace(per_minute=180, window_seconds=60).per_process()


def test_the_autotask_share_is_a_modest_setting_bounded_by_the_database_budget() -> None:
    assert load_settings().psa_autotask.requests_per_hour == 2000
    assert load_settings(PSA_AUTOTASK={"requests_per_hour": "500"}).psa_autotask.requests_per_hour == 500
    with pytest.raises(Exception, match="PSA_AUTOTASK__REQUESTS_PER_HOUR"):
        load_settings(PSA_AUTOTASK={"requests_per_hour": "20000"})
