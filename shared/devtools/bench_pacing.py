"""`python -m shared.cli bench --pacing --psa VENDOR --instances N`: N instances of the app's connector,
each with its own storage client and so its own limiter, as separate Functions instances would have,
claim from the one request budget in storage (Azurite) and drive one vendor fake at once at its own
limit for `seconds`. Reports the rate all of them reached against the limit, the busiest window, the
throttled answers, the storage calls per PSA request and each instance's part.

Each worker lists the clients over and over (one request a call for a small PSA, HaloPSA's token
fetch too): a demand far above the vendor's rate, so the figures show what the pacing allows.
"""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from shared.config import DEV_STORAGE, load_settings
from shared.devtools.bench_data import BenchShape, bench_scenario
from shared.devtools.psa_bench import vendor_limit
from shared.devtools.psa_bench_figures import rate_figures
from shared.devtools.psa_load import start_psa
from shared.psa.port import PsaConnector
from shared.psa.registry import build_connector
from shared.store.account import StorageAccount
from shared.store.request_budget import TableRequestBudget

__all__ = ["PacingBenchOptions", "render_pacing_table", "run_pacing_bench"]


@dataclass(frozen=True)
class PacingBenchOptions:
    psa: str
    instances: int = 3
    workers: int = 4  # connector calls at once in each instance
    seconds: float = 90.0
    autotask_share: int = 6000  # PSA_AUTOTASK__REQUESTS_PER_HOUR
    storage: str | None = None


async def run_pacing_bench(options: PacingBenchOptions) -> dict[str, Any]:
    scenario = bench_scenario(BenchShape(tenants=2, users=1, seed=7, existing_contact_share=0.0))
    vendor = start_psa(options.psa, scenario.psa)
    overrides = {"requests_per_hour": options.autotask_share} if options.psa == "autotask" else None
    settings = load_settings(
        AzureWebJobsStorage=options.storage or load_settings().storage_connection or DEV_STORAGE,
        STORAGE_NAME_PREFIX="pace" + secrets.token_hex(4),
        **(vendor.settings(overrides) | {"PSA_MAX_INSTANCES": str(options.instances)}),
    )
    accounts = [StorageAccount.from_settings(settings) for _ in range(options.instances)]
    budgets = [TableRequestBudget(account) for account in accounts]
    connectors = [
        build_connector(settings, account, budget=budget) for account, budget in zip(accounts, budgets, strict=True)
    ]
    try:
        await accounts[0].ensure()
        until = await _drive(connectors, options.workers, options.seconds)
        # Autotask's zone lookups (one per instance) go to another endpoint and do not count in its hour.
        records = [r for r in vendor.fake.requests if not r.path.endswith("/zoneInformation")]
        busy = [r for r in records if r.at <= until]
        limit = vendor_limit(vendor.fake, options.autotask_share)
        parts = [int(getattr(getattr(c, "stats", None), "requests", 0)) for c in connectors]
        vendor.fake.assert_conformant()
    finally:
        for connector in connectors:
            close = getattr(connector, "aclose", None)
            if close is not None:
                await close()
        await accounts[0].drop()
        for account in accounts:
            await account.aclose()
        vendor.stop()
    calls = sum(budget.calls for budget in budgets)
    return {
        "psa": options.psa,
        "instances": options.instances,
        "workers": options.workers,
        "seconds": options.seconds,
        "limit": limit.describe(),
        "rate": rate_figures(busy, limit),
        "requests": len(records),
        "throttled": sum(1 for r in records if r.status == 429),
        "storage_calls": calls,
        "storage_calls_per_request": round(calls / max(1, len(records)), 3),
        "requests_per_instance": parts,
    }


async def _drive(connectors: Sequence[PsaConnector], workers: int, seconds: float) -> float:
    until = time.time() + seconds

    async def work(connector: PsaConnector) -> None:
        while time.time() < until:
            await connector.list_clients()

    await asyncio.gather(*[work(connector) for connector in connectors for _ in range(workers)])
    return until


def render_pacing_table(result: dict[str, Any]) -> str:
    rate = result["rate"]
    share = rate.get("share_of_limit")
    return "\n".join(
        [
            f"{result['psa']}: {result['instances']} instance(s) x {result['workers']} workers for "
            f"{result['seconds']:g} s; the limit: {result['limit']}",
            f"rate reached {rate.get('steady_per_minute')} a minute, {share:.1%} of the limit"
            if share is not None
            else "rate reached: -",
            f"busiest minute {rate.get('busiest_minute')}, busiest window {rate.get('busiest_window')}",
            f"throttled {result['throttled']} of {result['requests']} requests",
            f"storage calls per PSA request {result['storage_calls_per_request']} ({result['storage_calls']} in all)",
            f"requests per instance {result['requests_per_instance']}",
        ]
    )
