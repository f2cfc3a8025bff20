"""The MFA report's quota (5 requests / 10 s per tenant): the limiter paces report pages under it."""

from __future__ import annotations

import asyncio
from unittest.mock import AsyncMock

import pytest
from kiota_abstractions.request_information import RequestInformation

from shared.graph.client import GraphTenantDirectory, GraphUserDirectory, new_http_client
from shared.graph.limits import REGISTRATION_REPORT_RATE, Rate, RequestLimiter

BASE = "https://graph.microsoft.com/v1.0"


class FakeClock:
    """Monotonic seconds that move only when the code under test sleeps (or a request takes time)."""

    def __init__(self) -> None:
        self.now = 100.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds
        await asyncio.sleep(0)


def limiter(clock: FakeClock, rate: Rate = REGISTRATION_REPORT_RATE) -> RequestLimiter:
    return RequestLimiter(rate, clock=clock, sleep=clock.sleep)


def test_the_registration_report_quota_is_five_requests_per_ten_seconds() -> None:
    assert (REGISTRATION_REPORT_RATE.requests, REGISTRATION_REPORT_RATE.seconds) == (5, 10.0)
    assert GraphTenantDirectory("t", AsyncMock()).report_limiter.rate == REGISTRATION_REPORT_RATE


async def test_five_requests_go_at_once_and_the_sixth_waits_ten_seconds_after_the_first_answer() -> None:
    clock = FakeClock()
    limit = limiter(clock)
    started: list[float] = []
    finished: list[float] = []

    for _ in range(12):
        async with limit.slot():
            started.append(clock.now)
            clock.now += 0.25  # the request takes a quarter of a second
        finished.append(clock.now)

    assert started[:5] == [100.0, 100.25, 100.5, 100.75, 101.0]
    assert started[5] == finished[0] + 10
    # In any 10 s, whenever Graph's window starts, at most 5 requests: each is let through only once
    # the request five before it has been answered for 10 s.
    assert all(started[i + 5] >= finished[i] + 10 for i in range(len(started) - 5))


async def test_requests_in_flight_count_against_the_quota() -> None:
    clock = FakeClock()
    limit = limiter(clock, Rate(requests=2, seconds=10.0))
    release = asyncio.Event()
    order: list[str] = []

    async def hold(name: str) -> None:
        async with limit.slot():
            order.append(f"{name} at {clock.now:g}")
            await release.wait()

    holders = [asyncio.create_task(hold("a")), asyncio.create_task(hold("b"))]
    await asyncio.sleep(0)
    third = asyncio.create_task(hold("c"))
    for _ in range(5):
        await asyncio.sleep(0)
    assert order == ["a at 100", "b at 100"]  # c waits: two requests are out, none answered yet

    clock.now = 103.0
    release.set()
    await asyncio.gather(*holders, third)

    assert order[2] == "c at 113"  # ten seconds after the answers came back


def test_a_rate_without_room_is_refused() -> None:
    with pytest.raises(ValueError):
        RequestLimiter(Rate(requests=0, seconds=10))


class PagedReport(GraphTenantDirectory):
    """Answers seven pages of the MFA report (and one page of anything else), noting the clock per send."""

    clock: FakeClock
    sent: list[tuple[str, float]]

    async def _send(self, info: RequestInformation) -> bytes | None:
        self._sdk.request_adapter.set_base_url_for_request_information(info)
        url = info.url
        self.sent.append((url, self.clock.now))
        self.clock.now += 0.1
        page = int(url.rsplit("page=", 1)[1]) if "page=" in url else 0
        more = f', "@odata.nextLink": "{BASE}/reports/authenticationMethods/userRegistrationDetails?page={page + 1}"'
        rows = f'[{{"id": "u{page}"}}]'
        return f'{{"value": {rows}{more if "userRegistrationDetails" in url and page < 6 else ""}}}'.encode()


@pytest.fixture
def graph() -> PagedReport:
    gateway = GraphUserDirectory(AsyncMock(), BASE, new_http_client(BASE))
    clock = FakeClock()
    report = PagedReport("t1", gateway.tenant("t1")._sdk, limiter(clock))
    report.clock, report.sent = clock, []
    return report


async def test_report_pages_go_through_the_tenants_limiter(graph: PagedReport) -> None:
    details = await graph.registration_details()

    assert [d.id for d in details] == [f"u{i}" for i in range(7)]
    times = [at for _, at in graph.sent]
    assert times[5] >= times[0] + 0.1 + 10 and times[6] >= times[1] + 0.1 + 10
    # Five pages of 0.1 s each, then one wait until 10 s after the first answer; the seventh page's
    # turn (10 s after the second answer) has come by the time the sixth is answered.
    assert graph.clock.slept == [pytest.approx(9.6)]


async def test_other_reads_are_not_paced(graph: PagedReport) -> None:
    for _ in range(8):
        await graph.users()

    assert graph.clock.slept == []
