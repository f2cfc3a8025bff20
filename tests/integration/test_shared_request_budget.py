"""The request budget every instance shares, in Azurite's Table Storage (R8.7): independent limiters,
each with its own storage client as separate instances would have, drive one vendor fake at once.
The vendors' windows are shortened (the fakes take their window as an option) so a test fills
several of them in seconds; the arithmetic is the same at a minute or an hour."""

from __future__ import annotations

import asyncio
import logging
import secrets
import socket
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest
from pydantic import SecretStr

from shared.config import DEV_STORAGE, load_settings
from shared.devtools.psa_fakes import AutotaskFake, PsaFake, SyncroFake
from shared.models import BudgetMark
from shared.psa.autotask.spending import AutotaskAuth
from shared.psa.building import limiter_for
from shared.psa.http import HeaderAuth, Pace, PsaHttpClient, RetryPolicy, SharedLimiter
from shared.psa.http.schedule import GRACE
from shared.store.account import StorageAccount
from shared.store.request_budget import TableRequestBudget
from tests.unit.test_psa_http_pacing import most_in_any_window

pytestmark = pytest.mark.integration

INSTANCES = 3


@pytest.fixture
async def accounts() -> AsyncIterator[list[StorageAccount]]:
    """One storage client per instance, all on the same tables."""
    settings = load_settings(AzureWebJobsStorage=DEV_STORAGE, STORAGE_NAME_PREFIX="b" + secrets.token_hex(5))
    made = [StorageAccount.from_settings(settings) for _ in range(INSTANCES)]
    await made[0].ensure()
    try:
        yield made
    finally:
        await made[0].drop()
        for account in made:
            await account.aclose()


def instance(account: StorageAccount, vendor: str, key: str, pace: Pace) -> SharedLimiter:
    limiter = limiter_for(vendor, key, pace, TableRequestBudget(account))
    assert isinstance(limiter, SharedLimiter)
    return limiter


async def drive(clients: list[PsaHttpClient], path: str, seconds: float, workers: int) -> float:
    """Requests from every client's `workers` until `seconds` have passed; answers that moment (wall time)."""
    until = time.time() + seconds

    async def work(client: PsaHttpClient) -> None:
        while time.time() < until:
            await client.request("GET", path)

    await asyncio.gather(*[work(client) for client in clients for _ in range(workers)])
    return until


def rate(times: list[float], until: float) -> float:
    """Requests a second while every instance had work (after it, the last blocks run out unevenly)."""
    busy = [at for at in times if at <= until]
    return (len(busy) - 1) / (busy[-1] - busy[0])


def sent_times(fake: PsaFake) -> list[float]:
    return sorted(record.at for record in fake.requests)


POLICY = RetryPolicy(attempts=3, initial_wait=0.05, max_wait=2.0, timeout=5.0)


async def test_r8_7_three_instances_drive_syncro_without_a_throttle_and_within_every_window(
    accounts: list[StorageAccount],
) -> None:
    limit, window = 60, 10.0  # Syncro's 180 a minute, the window shortened
    pace = Pace(per_minute=limit * 60 / window, window_seconds=window)
    with SyncroFake(rate_limit=limit, rate_window=window) as fake:
        customer = fake.load(clients=[{"business_name": "Northwind"}]).clients[0]
        limiters = [instance(account, "syncro", fake.base_url, pace) for account in accounts]
        clients = [
            PsaHttpClient(
                vendor="syncro",
                base_url=fake.base_url,
                auth=HeaderAuth({"Authorization": SecretStr(fake.api_key)}),
                limiter=limiter,
                policy=POLICY,
            )
            for limiter in limiters
        ]
        try:
            until = await drive(clients, f"customers/{customer}", seconds=25, workers=3)
        finally:
            for client in clients:
                await client.aclose()
        times = sent_times(fake)
        fake.assert_conformant()
        assert fake.throttled == 0
    assert most_in_any_window(times, window) <= limit
    # The schedule's rate: (limit less headroom - 1) per window and a second's grace, 5.2/s of 6/s here.
    assert rate(times, until) >= 0.95 * pace.shared_terms().per_second
    assert all(limiter.stats.fallback == 0 and limiter.stats.sent > 0 for limiter in limiters)
    claims = [limiter.stats for limiter in limiters]
    print(  # the figures the README quotes (pytest -s)
        f"syncro x{INSTANCES}: {len(times)} requests, {rate(times, until) * window:.1f} "
        f"per {window:g}s window of {limit}, busiest window {most_in_any_window(times, window)}, "
        f"storage calls per request {sum(s.storage_calls for s in claims) / len(times):.3f}, "
        f"conflicts {sum(s.conflicts for s in claims)}"
    )


async def test_r8_7_the_autotask_share_is_respected_exactly_across_instances(accounts: list[StorageAccount]) -> None:
    share, hour = 40, 10.0  # an operator's share of the hour, the hour shortened
    pace = Pace(per_minute=share * 60 / hour, window_seconds=hour, headroom=1.0)  # the share kept whole
    with AutotaskFake(hourly_limit=share, hour=hour) as fake:
        company = fake.load(clients=[{"companyName": "Northwind", "companyType": 1}]).clients[0]
        auth: dict[str, Any] = {"integration_code": fake.integration_code, "username": fake.username}
        limiters = [
            instance(account, "autotask", f"{fake.username} {fake.integration_code}", pace) for account in accounts
        ]
        clients = [
            PsaHttpClient(
                vendor="autotask",
                base_url=f"{fake.base_url}/V1.0",
                auth=AutotaskAuth(auth["integration_code"], auth["username"], SecretStr(fake.secret)),
                limiter=limiter,
                policy=POLICY,
            )
            for limiter in limiters
        ]
        try:
            until = await drive(clients, f"Companies/{company}", seconds=32, workers=2)
        finally:
            for client in clients:
                await client.aclose()
        times = sent_times(fake)
        fake.assert_conformant()
        assert fake.throttled == 0
    busiest = most_in_any_window(times, hour)
    assert busiest <= share  # never more than the share in any "hour"...
    # ...and the share is used: every window holds (share - 1) * hour / (hour + grace) + 1 at the least,
    # the share itself at a real hour (a second's grace is 1/3600 of it), 36 of 40 at this one.
    assert busiest >= (share - 1) * hour / (hour + GRACE)
    print(f"autotask x{INSTANCES}: {len(times)} requests, {rate(times, until):.2f}/s, busiest window {busiest}/{share}")


async def test_a_write_under_a_stale_version_loses_to_the_instance_that_wrote_first(
    accounts: list[StorageAccount],
) -> None:
    first, second = TableRequestBudget(accounts[0]), TableRequestBudget(accounts[1])
    blank = await first.read("syncro acme")
    assert blank == BudgetMark()
    won = await first.swap("syncro acme", blank, 100.0)
    assert won is not None
    assert await second.swap("syncro acme", blank, 200.0) is None  # it had read the row before the write
    seen = await second.read("syncro acme")
    assert seen.tat == 100.0
    assert await second.swap("syncro acme", seen, 200.0) is not None
    assert await first.swap("syncro acme", won, 300.0) is None
    assert (await first.read("syncro acme")).tat == 200.0


async def test_r8_7_with_storage_unreachable_the_connector_keeps_its_share_and_says_so_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with socket.socket() as s:  # a port nobody listens on: the storage account is unreachable
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    endpoint = f"http://127.0.0.1:{port}/devstoreaccount1"
    key = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
    unreachable = load_settings(
        AzureWebJobsStorage=f"DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey={key};"
        f"TableEndpoint={endpoint};QueueEndpoint={endpoint};"
    )
    account = StorageAccount.from_settings(unreachable)
    pace = Pace(per_minute=600, instances=2)  # the fallback: 1/2 of 600 a minute, less headroom
    limiter = instance(account, "syncro", "unreachable " + secrets.token_hex(3), pace)
    try:
        with SyncroFake(rate_limit=None) as fake, caplog.at_level(logging.WARNING, "shared.psa.http.shared_pacing"):
            client = PsaHttpClient(
                vendor="syncro",
                base_url=fake.base_url,
                auth=HeaderAuth({"Authorization": SecretStr(fake.api_key)}),
                limiter=limiter,
                policy=POLICY,
            )
            try:
                for _ in range(12):
                    await client.request("GET", "customers")
            finally:
                await client.aclose()
            times = sent_times(fake)
    finally:
        await account.aclose()

    assert limiter.stats.storage_calls >= 1  # storage was tried and failed: the fault fired
    assert limiter.stats.fallback == 12 and limiter.stats.claims == 0
    assert (len(times) - 1) / (times[-1] - times[0]) <= 600 / 60 / 2  # this instance's half, no more
    warnings = [r for r in caplog.records if "unavailable" in r.getMessage()]
    assert len(warnings) == 1
