"""The MFA report's quota against the Graph simulator, which enforces it per tenant and answers 429.

A tenant of 6,500 users gives seven report pages (Graph's page size for that report is 1,000). At the
real quota (5 requests / 10 s) that would take 10 s per run of this test, so both sides use the same
quota over a shorter window here; the quota's real value is pinned by a unit test.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager

import pytest

from shared.bootstrap import default_graph
from shared.config import load_settings
from shared.devtools.simulator import GraphSimulator, Scenario, parse_scenario
from shared.graph.client import GraphUserDirectory
from shared.graph.limits import Rate, RequestLimiter

pytestmark = [pytest.mark.integration, pytest.mark.no_azurite]

PARTNER = "0a1b2c3d-0000-4000-8000-00000000beef"
LARGE = "22222222-3333-4444-8555-666666666666"
USERS = 6500
QUOTA = Rate(requests=5, seconds=1.0)
REPORT = "/reports/authenticationMethods/userRegistrationDetails"


def _scenario() -> Scenario:
    users = [
        {"id": f"00000000-0000-4000-8000-{i:012d}", "displayName": f"User {i}", "accountEnabled": True}
        for i in range(USERS)
    ]
    tenant = {"tenantId": LARGE, "displayName": "Large Co", "premium": True, "users": users}
    return parse_scenario({"name": "large", "partner": {"tenantId": PARTNER}, "tenants": [tenant]})


@pytest.fixture(scope="module")
def sim() -> Iterator[GraphSimulator]:
    with GraphSimulator(_scenario(), report_rate_limit=(QUOTA.requests, QUOTA.seconds)) as simulator:
        yield simulator


@pytest.fixture
async def gateway(sim: GraphSimulator) -> AsyncIterator[GraphUserDirectory]:
    async with _directory(sim) as graph:
        yield graph


@asynccontextmanager
async def _directory(sim: GraphSimulator) -> AsyncIterator[GraphUserDirectory]:
    sim.clear_faults()  # also forgets the simulator's count of report requests
    settings = load_settings(
        PARTNER_TENANT_ID=sim.partner_tenant_id,
        GRAPH_CLIENT_ID=sim.client_id,
        GRAPH_CLIENT_SECRET=sim.client_secret,
        GRAPH_AUTHORITY=sim.authority,
        GRAPH_BASE_URL=sim.graph_url,
        GRAPH_CA_BUNDLE=sim.ca_path,
    )
    graph = default_graph(settings)
    try:
        yield graph
    finally:
        await graph.aclose()


def _report_statuses(sim: GraphSimulator, since: float) -> list[int]:
    return [r.status for r in sim.requests if r.path.lower() == REPORT.lower() and r.at >= since]


async def test_large_tenants_report_pages_stay_under_the_quota_and_never_meet_429(
    sim: GraphSimulator, gateway: GraphUserDirectory
) -> None:
    graph = gateway.tenant(LARGE)
    graph.report_limiter = RequestLimiter(QUOTA)
    since = time.time()

    details = await graph.registration_details()

    assert len(details) == USERS
    assert _report_statuses(sim, since) == [200] * 7


async def test_without_the_limiter_the_simulator_answers_429() -> None:
    # The check above means something: unpaced, the sixth page is refused (the SDK then retries it).
    # Graph's own window here (10 s): however slow a loaded machine reads the pages, the sixth still
    # falls inside the window of the first five (the 1 s window above needs a quick machine).
    with GraphSimulator(_scenario(), report_rate_limit=(QUOTA.requests, 10.0)) as sim:
        async with _directory(sim) as gateway:
            graph = gateway.tenant(LARGE)
            graph.report_limiter = RequestLimiter(Rate(requests=1000, seconds=QUOTA.seconds))
            since = time.time()
            details = await graph.registration_details()

    assert len(details) == USERS
    assert 429 in _report_statuses(sim, since)
