"""Pacing under the vendor's limit across every worker of the app (R8.7)."""

from __future__ import annotations

import asyncio
from collections import deque

import pytest

from shared.psa.http import HEADROOM, Pace, RateLimiter, shared_limiter
from tests.unit.test_psa_http_client import FakeTime


async def send_times(limiter: RateLimiter, time: FakeTime, count: int) -> list[float]:
    times = []
    for _ in range(count):
        await limiter.acquire()
        times.append(time.now)
    return times


def most_in_any_window(times: list[float], window: float = 60.0) -> int:
    held: deque[float] = deque()
    most = 0
    for t in times:
        held.append(t)
        while held[0] <= t - window:
            held.popleft()
        most = max(most, len(held))
    return most


class YieldingTime(FakeTime):
    """Sleeps hand the loop to other tasks, as real ones do; time moves to the latest wake-up."""

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        target = self.now + seconds
        await asyncio.sleep(0)
        self.now = max(self.now, target)


def limiter_for(pace: Pace, time: FakeTime) -> RateLimiter:
    rate, burst = pace.per_process()
    return RateLimiter(rate, burst, clock=time.clock, sleep=time.sleep)


async def test_r8_7_a_sliding_window_vendor_never_sees_more_than_its_limit_in_any_minute() -> None:
    time = FakeTime()
    times = await send_times(limiter_for(Pace(per_minute=180), time), time, 1000)

    assert most_in_any_window(times) <= 180
    used = (len(times) - 1) / ((times[-1] - times[0]) / 60)
    assert used >= 0.95 * 180  # and the budget is used, not wasted


async def test_r8_7_a_token_bucket_vendor_gets_its_burst_then_its_steady_rate() -> None:
    time = FakeTime()
    times = await send_times(limiter_for(Pace(per_minute=60, burst=120), time), time, 300)

    at_once = sum(1 for t in times if t == times[0])
    assert at_once == int(120 * HEADROOM)
    # Never more than the vendor's bucket allows: burst 120 plus one a second since the start.
    assert all(index + 1 <= 120 + (t - times[0]) for index, t in enumerate(times))
    steady = (times[-1] - times[at_once]) / (len(times) - at_once - 1)
    assert steady == pytest.approx(60 / (60 * HEADROOM), rel=0.01)


async def test_r8_7_each_instance_takes_its_share_so_all_instances_together_stay_under_the_limit() -> None:
    instances = 10
    all_times: list[float] = []
    for _ in range(instances):  # each instance's process has its own limiter, all start together
        time = FakeTime()
        all_times += await send_times(limiter_for(Pace(per_minute=180, instances=instances), time), time, 100)

    assert most_in_any_window(sorted(all_times)) <= 180


def test_r8_7_the_budget_is_divided_by_the_instance_count() -> None:
    alone, shared = Pace(per_minute=60, burst=120).per_process(), Pace(60, 120, instances=4).per_process()

    assert shared[0] == pytest.approx(alone[0] / 4)
    assert shared[1] == int(120 * HEADROOM / 4)


async def test_r8_7_concurrent_workers_of_one_process_share_one_schedule() -> None:
    time = YieldingTime()
    limiter = RateLimiter(2.0, 1, clock=time.clock, sleep=time.sleep)
    waits = await asyncio.gather(*(limiter.acquire() for _ in range(5)))

    assert sorted(waits) == pytest.approx([0.0, 0.5, 1.0, 1.5, 2.0])


def test_r8_7_every_connector_of_the_process_for_one_account_gets_the_same_limiter() -> None:
    pace = Pace(per_minute=180, instances=3)

    first = shared_limiter("syncro https://a.syncromsp.com", pace)

    assert shared_limiter("syncro https://a.syncromsp.com", pace) is first
    assert shared_limiter("syncro https://b.syncromsp.com", pace) is not first


async def test_r8_7_a_pause_holds_requests_already_waiting_for_a_slot() -> None:
    time = YieldingTime()
    limiter = RateLimiter(1.0, 1, clock=time.clock, sleep=time.sleep)
    await limiter.acquire()
    start = time.now

    waiter = asyncio.ensure_future(limiter.acquire())
    await asyncio.sleep(0)  # the waiter has its slot (1 s away) and sleeps
    limiter.pause(30)  # another worker was throttled meanwhile
    await waiter

    assert time.now - start >= 30


def test_a_limiter_needs_a_positive_rate() -> None:
    with pytest.raises(ValueError, match="positive"):
        RateLimiter(0, 1)
