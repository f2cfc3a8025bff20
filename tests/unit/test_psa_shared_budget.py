"""The request budget every instance shares through storage (R8.7): the slot arithmetic, and
limiters of several instances claiming from one budget (an in-memory one here; Azurite's in
tests/integration/test_shared_request_budget.py)."""

from __future__ import annotations

import asyncio
import heapq
import itertools
import logging
import random
from collections.abc import Awaitable
from dataclasses import replace
from typing import Any

import pytest

from shared.errors import StorageUnavailable
from shared.models import BudgetMark
from shared.psa.http import Pace, RateLimiter, ScheduleTerms, SharedLimiter
from shared.psa.http.schedule import claim, most_in_span
from tests.unit.test_psa_http_pacing import most_in_any_window

SYNCRO = Pace(per_minute=180)
ALGA = Pace(per_minute=60, burst=120)
HALO = Pace(per_minute=60, window_seconds=300)
CONNECTWISE = Pace(per_minute=1000)
AUTOTASK = Pace(per_minute=2000 / 60, window_seconds=3600, headroom=1.0)
SLIDING = {"syncro": (SYNCRO, 180, 60.0), "halopsa": (HALO, 300, 300.0), "connectwise": (CONNECTWISE, 1000, 60.0)}


class MemoryBudget:
    """A `RequestBudget` in memory: one row per account, versioned as Table Storage's ETags are."""

    def __init__(self) -> None:
        self.rows: dict[str, BudgetMark] = {}
        self.versions = itertools.count(1)
        self.reads = self.writes = self.lost = 0

    async def read(self, account: str) -> BudgetMark:
        self.reads += 1
        return self.rows.get(account, BudgetMark())

    async def swap(self, account: str, seen: BudgetMark, tat: float) -> BudgetMark | None:
        self.writes += 1
        await asyncio.sleep(0)  # a round trip: another instance may write meanwhile
        if self.rows.get(account, BudgetMark()).etag != seen.etag:
            self.lost += 1
            return None
        self.rows[account] = BudgetMark(tat, f"v{next(self.versions)}")
        return self.rows[account]


class FailingBudget(MemoryBudget):
    """Storage is down: every call fails, and is counted."""

    def __init__(self) -> None:
        super().__init__()
        self.failures = 0

    async def read(self, account: str) -> BudgetMark:
        self.failures += 1
        raise StorageUnavailable("storage is down", endpoint="table", setting="AzureWebJobsStorage")

    async def swap(self, account: str, seen: BudgetMark, tat: float) -> BudgetMark | None:
        self.failures += 1
        raise StorageUnavailable("storage is down", endpoint="table", setting="AzureWebJobsStorage")


class VirtualTime:
    """Wall time for several tasks: a sleeper wakes when every task is blocked and its time comes."""

    def __init__(self) -> None:
        self.now = 1_700_000_000.0
        self._waiters: list[tuple[float, int, asyncio.Future[None]]] = []
        self._order = itertools.count()

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._waiters, (self.now + max(0.0, seconds), next(self._order), future))
        await future

    async def run(self, *jobs: Awaitable[Any]) -> None:
        tasks = [asyncio.ensure_future(job) for job in jobs]
        while not all(task.done() for task in tasks):
            for _ in range(20):  # let every runnable task run on until it sleeps
                await asyncio.sleep(0)
            if self._waiters:
                target, _, future = heapq.heappop(self._waiters)
                self.now = max(self.now, target)
                future.set_result(None)
        for task in tasks:
            task.result()


def limiter(pace: Pace, budget: MemoryBudget, time: VirtualTime, account: str = "syncro acme") -> SharedLimiter:
    rate, burst = pace.per_process()
    fallback = RateLimiter(rate, burst, clock=time.clock, sleep=time.sleep)
    return SharedLimiter(account, pace.shared_terms(), budget, fallback, clock=time.clock, sleep=time.sleep)


def workers(limiter: SharedLimiter, time: VirtualTime, sent: list[float], count: int, until: float) -> list[Any]:
    async def work() -> None:
        while time.now < until:
            await limiter.acquire()
            sent.append(time.now)

    return [work() for _ in range(count)]


def rate_per_minute(times: list[float]) -> float:
    ordered = sorted(times)
    return (len(ordered) - 1) / (ordered[-1] - ordered[0]) * 60


# --- the arithmetic ------------------------------------------------------------------------------


@pytest.mark.parametrize("vendor", sorted(SLIDING))
def test_r8_7_no_span_of_a_vendors_window_can_hold_more_than_its_limit(vendor: str) -> None:
    pace, limit, window = SLIDING[vendor]
    terms = pace.shared_terms()

    assert most_in_span(terms, window) <= limit * 0.97  # the limit, less headroom
    assert terms.per_second * window >= 0.93 * limit  # and nearly all of it is used


def test_r8_7_the_autotask_share_is_counted_exactly_with_no_headroom() -> None:
    terms = AUTOTASK.shared_terms()

    assert most_in_span(terms, 3600) == 2000
    assert terms.per_second * 3600 >= 0.999 * 2000


def test_r8_7_a_token_bucket_vendor_gets_its_burst_then_its_rate() -> None:
    terms = ALGA.shared_terms()
    times, _ = claim(0.0, 100.0, replace(terms, block=200), not_before=0.0)

    assert sum(1 for t in times if t == 100.0) == 115  # the burst, less headroom and a second's grace
    assert times[-1] - times[-2] == pytest.approx(60 / (60 * 0.97))  # then 58.2 a minute
    assert most_in_span(terms, 60) <= 120 + 60  # never more than the bucket lets through


@pytest.mark.parametrize("pace", [SYNCRO, ALGA, HALO, CONNECTWISE, AUTOTASK], ids=lambda p: f"{p.per_minute:g}/min")
def test_a_claim_buys_sixteen_slots_or_more_per_storage_write(pace: Pace) -> None:
    assert 16 <= pace.shared_terms().block <= 40


def test_r8_7_slots_of_interleaved_claims_sent_late_within_the_grace_keep_every_window() -> None:
    rng = random.Random(11)
    terms, tat, now, sent = SYNCRO.shared_terms(), 0.0, 5000.0, []
    for _ in range(300):  # claims by any of the instances, at any moment, each block sent with lag
        now += rng.uniform(0, 4)
        times, tat = claim(tat, now, terms)
        sent += [at + rng.uniform(0, terms.grace) for at in times]

    assert most_in_any_window(sorted(sent), window=60) <= 180 * 0.97


def test_a_claim_starts_after_the_vendors_pause() -> None:
    times, tat = claim(0.0, 100.0, SYNCRO.shared_terms(), not_before=130.0)

    assert min(times) == 130.0
    assert tat > 130.0


def test_a_sliding_schedule_needs_room_for_two_requests() -> None:
    with pytest.raises(ValueError, match="limit of 2 or more"):
        ScheduleTerms.sliding(1, 60)


# --- limiters claiming from one budget -----------------------------------------------------------


async def test_r8_7_one_instance_alone_reaches_nearly_the_whole_limit_for_a_tenth_of_a_write_a_request() -> None:
    time, budget = VirtualTime(), MemoryBudget()
    sent: list[float] = []
    alone = limiter(SYNCRO, budget, time)
    await time.run(*workers(alone, time, sent, 8, until=time.now + 600))

    assert rate_per_minute(sent) >= 0.9 * 180
    assert most_in_any_window(sent, 60) <= 180
    assert (budget.reads + budget.writes) / len(sent) <= 0.1
    assert alone.stats.fallback == 0


async def test_r8_7_three_instances_together_keep_the_limit_and_use_it() -> None:
    time, budget = VirtualTime(), MemoryBudget()
    sent: list[float] = []
    instances = [limiter(SYNCRO, budget, time) for _ in range(3)]
    await time.run(*[job for one in instances for job in workers(one, time, sent, 4, until=time.now + 600)])

    assert most_in_any_window(sorted(sent), 60) <= 180 * 0.97
    assert rate_per_minute(sent) >= 0.9 * 180
    assert budget.lost > 0  # they did compete for the row...
    assert (budget.reads + budget.writes) / len(sent) <= 0.2  # ...at a modest cost
    assert all(one.stats.sent > 0.2 * len(sent) for one in instances)  # and each got a fair part


async def test_r8_7_the_autotask_share_holds_in_every_hour_across_instances() -> None:
    time, budget = VirtualTime(), MemoryBudget()
    sent: list[float] = []
    instances = [limiter(AUTOTASK, budget, time, "autotask api@x") for _ in range(3)]
    await time.run(*[job for one in instances for job in workers(one, time, sent, 3, until=time.now + 2.5 * 3600)])

    assert most_in_any_window(sorted(sent), 3600) <= 2000
    assert most_in_any_window(sorted(sent), 3600) >= 1990  # the share, all of it


async def test_unused_slots_waste_at_most_one_block_per_instance() -> None:
    time, budget = VirtualTime(), MemoryBudget()
    sent: list[float] = []
    instances = [limiter(SYNCRO, budget, time) for _ in range(3)]
    for one in instances:  # each sends a few and stops: its tenants are done
        await time.run(*workers(one, time, sent, 1, until=time.now + 1))
    await time.run(time.sleep(60))  # their blocks lapse
    late = limiter(SYNCRO, budget, time)
    await time.run(late.acquire())

    wasted = sum(one.stats.slots - one.stats.sent for one in instances)
    assert 0 < wasted <= 3 * SYNCRO.shared_terms().block


async def test_r8_7_without_storage_the_instance_keeps_its_share_and_says_so_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    time, budget = VirtualTime(), FailingBudget()
    sent: list[float] = []
    pace = replace(SYNCRO, instances=10)
    alone = limiter(pace, budget, time)
    with caplog.at_level(logging.WARNING, "shared.psa.http.shared_pacing"):
        await time.run(*workers(alone, time, sent, 4, until=time.now + 300))

    assert budget.failures >= 5  # the fault fired, again after each minute of fallback
    assert alone.stats.fallback == len(sent)
    assert rate_per_minute(sent) <= 180 / 10
    assert len([r for r in caplog.records if "unavailable" in r.getMessage()]) == 1


async def test_r8_7_a_pause_holds_the_next_claims_of_every_instance() -> None:
    time, budget = VirtualTime(), MemoryBudget()
    first, second = limiter(SYNCRO, budget, time), limiter(SYNCRO, budget, time)
    await time.run(first.acquire())
    first.pause(30)
    first._slots.clear()  # its block is spent: the next request claims
    paused_until = time.now + 30
    await time.run(first.acquire())
    sent: list[float] = []

    async def one() -> None:
        await second.acquire()
        sent.append(time.now)

    await time.run(one())
    assert sent[0] >= paused_until
    assert budget.rows["syncro acme"].tat > paused_until
