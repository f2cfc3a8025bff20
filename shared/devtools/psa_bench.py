"""`python -m shared.cli bench --psa syncro|alga`: T tenants x U users through a vendor's API fake, at the
vendor's own rate limit, with the app's real concurrency (the host's batch of tenant messages at once).

Three full passes, each of one kind of work, so each cost reads plainly:

1. **initial**: every user new (no contact in the PSA yet): requests per created user, and the rate
   reached against the vendor's limit on a sync long enough to be held back by it;
2. **unchanged**: the same again with nothing changed: requests per unchanged user beyond the list pages;
3. **updated**: a share of users with a new job title: requests per updated user.

Requests come from the fake's own log (every request it received, retries and 429s too). After each
pass the PSA's contacts are checked against the run's outcomes: none lost, none duplicated.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Any

from shared.bootstrap import set_app
from shared.devtools.bench_data import BenchShape, bench_scenario, bench_updates, client_id_of
from shared.devtools.driver import QueueDriver
from shared.devtools.environment import SimulatedEnvironment, simulated_environment
from shared.devtools.progress import PROGRESS_EVERY, run_progress
from shared.devtools.psa_bench_figures import UserContact, VendorLimit, integrity, rate_figures, request_kinds
from shared.devtools.psa_fakes import PsaFake, SlidingWindow, TokenBucket
from shared.models import RunRecord, RunStatus, RunType, Trigger
from shared.service.discovery import discover
from shared.service.mappings import Decision, decide, refresh_suggestions
from shared.service.runs import run_details, start_run
from shared.service.sync_tenant import LEASE_TTL

__all__ = ["PsaBenchOptions", "render_psa_table", "run_psa_bench"]

_FINISHED = (RunStatus.COMPLETED, RunStatus.PARTIAL, RunStatus.FAILED)
_CONTACT_CALLS = ("contact create", "contact write", "contact read")
_LIST_PAGES = ("contact list", "client list")


@dataclass(frozen=True)
class PsaBenchOptions:
    psa: str
    tenants: int = 8
    users: int = 35
    changed_share: float = 0.1  # users given a new job title for the "updated" pass
    workers: int = 8  # tenant messages handled at once (host.json's queues.batchSize)
    seed: int = 7
    storage: str | None = None
    # Autotask: the app's share of the database's 10,000 an hour (`PSA_AUTOTASK__REQUESTS_PER_HOUR`);
    # above the default 2,000 so a pass takes minutes, not a quarter of an hour.
    autotask_share: int = 6000


async def run_psa_bench(options: PsaBenchOptions) -> dict[str, Any]:
    started = time.perf_counter()
    shape = BenchShape(tenants=options.tenants, users=options.users, seed=options.seed, existing_contact_share=0.0)
    scenario = bench_scenario(shape)
    psa_settings = {"requests_per_hour": options.autotask_share} if options.psa == "autotask" else None
    async with simulated_environment(
        scenario, psa=options.psa, storage=options.storage, psa_settings=psa_settings
    ) as env:
        fake = env.fake
        assert fake is not None  # a vendor's PSA
        set_app(env.app)
        try:
            driver = _driver(env, options.workers)
            await discover(env.app)
            await refresh_suggestions(env.app)
            for index, tenant in enumerate(scenario.tenants):
                client = env.ids.psa("client", client_id_of(index))
                await decide(env.app, tenant.tenant_id, Decision.MAP, client_id=client, by="bench")
            limit = vendor_limit(fake, env.app.settings.psa_autotask.requests_per_hour)
            initial = await _pass(env, driver, RunType.INITIAL, limit, "created")
            unchanged = await _pass(env, driver, RunType.ALL_TENANTS, limit, "unchanged")
            for op in bench_updates(scenario, options.changed_share, seed=options.seed):
                env.simulator.apply(op)
            updated = await _pass(env, driver, RunType.ALL_TENANTS, limit, "updated")
            fake.assert_conformant()
            deletes = len(fake.deletes)
        finally:
            set_app(None)
    passes = {"initial": initial, "unchanged": unchanged, "updated": updated}
    return {
        "psa": options.psa,
        "options": {
            "tenants": options.tenants,
            "users": options.users,
            "workers": options.workers,
            "changed_share": options.changed_share,
        },
        "limit": limit.describe(),
        **passes,
        "deletes": deletes,
        "targets": _targets(passes, limit),
        "total_seconds": round(time.perf_counter() - started, 1),
    }


def vendor_limit(fake: PsaFake, autotask_share: int) -> VendorLimit:
    """The limit the app must keep: the one the fake enforces (the vendor's published one), or for
    Autotask the app's share of the hour the fake counts for the whole database."""
    limiter = fake.limiter
    if fake.vendor == "autotask" and isinstance(limiter, SlidingWindow):
        of = f"the app's share of {limiter.limit:,} an hour"
        return VendorLimit(per_minute=autotask_share / 60, window=limiter.window, of=of)
    if isinstance(limiter, SlidingWindow):
        return VendorLimit(per_minute=limiter.limit * 60 / limiter.window, window=limiter.window)
    if isinstance(limiter, TokenBucket):
        return VendorLimit(per_minute=limiter.per_second * 60, burst=limiter.burst)
    raise ValueError(f"the {fake.vendor} fake enforces no rate limit: nothing to measure against")


def _driver(env: SimulatedEnvironment, workers: int) -> QueueDriver:
    from functions.sync_worker import tenant_poison, tenant_worker  # the handlers the host calls

    worker, poison = tenant_worker.build().get_user_function(), tenant_poison.build().get_user_function()
    return QueueDriver(env.account, worker, poison, batch_size=workers)


async def _pass(
    env: SimulatedEnvironment, driver: QueueDriver, run_type: RunType, limit: VendorLimit, kind: str
) -> dict[str, Any]:
    """One run drained to its end, and its figures; `kind`: the outcome its contact calls are for."""
    fake = env.fake
    assert fake is not None
    seen = len(fake.requests)
    stats = getattr(env.connector, "stats", None)
    paced_before = stats.paced_seconds if stats is not None else 0.0
    budget_before = _budget_calls(env)
    started = time.perf_counter()
    run, _ = await start_run(env.app, run_type, Trigger.MANUAL)

    async def finished() -> bool:
        current = await env.app.runs.get(run.run_id)
        return current is not None and current.status in _FINISHED

    label = f"bench --psa {kind}"
    progress = run_progress(lambda: env.app.runs.get(run.run_id), label, run.tenants_expected)
    await driver.drain(finished, limit_seconds=4 * 3600, progress=progress, progress_every=PROGRESS_EVERY)
    seconds = time.perf_counter() - started
    record = await run_details(env.app, run.run_id)
    records = fake.requests[seen:]
    kinds = request_kinds(records, fake.api_root)
    contact_calls = sum(kinds[k] for k in _CONTACT_CALLS)
    counts = record.counts
    return {
        "status": record.status.value,
        "failed_tenants": record.failed,
        "seconds": round(seconds, 1),
        "counts": counts.model_dump(),
        "requests": len(records),
        "requests_by_kind": dict(sorted(kinds.items())),
        # The pass's contact calls over its users of that kind: a pass does one kind of work (the
        # module docstring), so e.g. an unchanged user beside the updated ones costs nothing.
        "per_user": {kind: round(contact_calls / max(1, getattr(counts, kind)), 3)},
        "list_pages": sum(kinds[k] for k in _LIST_PAGES),
        "client_fact_writes": kinds["client write"],
        "rate": rate_figures(records, limit),
        # Storage calls the shared request budget made (its reads and ETag-guarded writes) per PSA request.
        "budget_calls_per_request": round((_budget_calls(env) - budget_before) / max(1, len(records)), 3),
        "paced_seconds": round((stats.paced_seconds if stats is not None else 0.0) - paced_before, 1),
        "longest_tenant_seconds": _longest_tenant(record),
        "integrity": integrity(_user_contacts(env, record), await env.held()),
    }


def _budget_calls(env: SimulatedEnvironment) -> int:
    return int(getattr(env.app.psa_budget, "calls", 0))


def _user_contacts(env: SimulatedEnvironment, run: RunRecord) -> list[UserContact]:
    ids = env.ids
    return [
        UserContact(
            user_id=user.user_id,
            outcome=user.outcome,
            contact_id=ids.scenario("contact", user.contact_id) if user.contact_id else None,
            client_id=ids.scenario("client", tenant.client_id or ""),
        )
        for tenant in run.tenants
        for user in tenant.users
    ]


def _longest_tenant(run: RunRecord) -> float | None:
    spans = [(t.completed_at - t.started_at).total_seconds() for t in run.tenants if t.started_at and t.completed_at]
    return round(max(spans), 1) if spans else None


def _targets(passes: dict[str, dict[str, Any]], limit: VendorLimit) -> dict[str, Any]:
    initial = passes["initial"]
    rate = initial["rate"]
    requests = sum(p["requests"] for p in passes.values())
    throttled = sum(p["rate"]["throttled"] for p in passes.values())
    share = rate.get("share_of_limit")
    failed = sum(p["counts"]["failed"] + p["failed_tenants"] for p in passes.values())
    return {
        "initial_share_of_limit>=0.9": share is not None and share >= 0.9,
        "initial_long_enough (>= 60 s at the limit)": bool(rate.get("long_enough")),
        "busiest_window<=limit": all(
            p["rate"].get("busiest_window", 0) <= limit.per_window + limit.burst for p in passes.values()
        ),
        "budget_calls_per_request<=0.1": all(p["budget_calls_per_request"] <= 0.1 for p in passes.values()),
        "throttled<2%": requests > 0 and throttled / requests < 0.02,
        "lost==0": all(p["integrity"]["lost"] == 0 for p in passes.values()),
        "duplicated==0": all(p["integrity"]["duplicated"] == 0 for p in passes.values()),
        "no_failed_users_or_tenants": failed == 0,
        "unchanged_contact_calls==0": passes["unchanged"]["per_user"]["unchanged"] == 0,
        "longest_tenant<lease_ttl": all(
            (p["longest_tenant_seconds"] or 0) < LEASE_TTL.total_seconds() for p in passes.values()
        ),
    }


def render_psa_table(result: dict[str, Any]) -> str:
    options = result["options"]
    lines = [
        f"{result['psa']}: {options['tenants']} tenants x {options['users']} users, {options['workers']} workers; "
        f"the vendor's limit: {result['limit']}",
        "",
        f"{'pass':<11}{'seconds':>9}{'requests':>10}{'per user':>10}{'list pages':>12}{'client facts':>14}"
        f"{'per minute':>12}{'of limit':>10}{'busiest window':>16}{'429s':>6}{'lost':>6}{'dupes':>7}"
        f"{'storage/req':>13}",
    ]
    for name, kind in (("initial", "created"), ("unchanged", "unchanged"), ("updated", "updated")):
        phase = result[name]
        rate = phase["rate"]
        per_user = phase["per_user"][kind]
        share = rate.get("share_of_limit")
        lines.append(
            f"{name:<11}{phase['seconds']:>9.1f}{phase['requests']:>10}"
            f"{_cell(per_user, '.2f') + ' ' + kind[:2]:>10}{phase['list_pages']:>12}{phase['client_fact_writes']:>14}"
            f"{_cell(rate.get('steady_per_minute'), '.1f'):>12}{_cell(share, '.0%'):>10}"
            f"{rate.get('busiest_window', 0):>16}{rate['throttled']:>6}"
            f"{phase['integrity']['lost']:>6}{phase['integrity']['duplicated']:>7}"
            f"{phase['budget_calls_per_request']:>13.3f}"
        )
    kinds = result["initial"]["requests_by_kind"]
    lines += ["", "initial requests by kind: " + ", ".join(f"{k} {v}" for k, v in kinds.items())]
    lines += ["", "targets: " + ", ".join(f"{k} {'met' if v else 'MISSED'}" for k, v in result["targets"].items())]
    return "\n".join(lines)


def _cell(value: float | None, spec: str) -> str:
    return "-" if value is None or (isinstance(value, float) and math.isnan(value)) else format(value, spec)
