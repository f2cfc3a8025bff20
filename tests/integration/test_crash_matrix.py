"""The crash matrix (issue 13): a worker fails (`exception`) or dies (`kill`) right after each write
point of a tenant pass, then the real queue redelivers its message to the tenant queue's own handler.
Every case must leave 0 duplicate contacts, 0 deletions, every run final with totals = Σ tenant rows =
Σ user rows, every contact a run created counted `created` once and its PSA writes counted once, and no
lease behind; each injected fault must have fired exactly once.

A case is two runs on the northwind scenario through Azurite and the Graph simulator: the initial run,
then, after Entra changes (a title, a disable, a new user, an alias), the timer's incremental run. The
fault is armed from the start and fires at the first call of its point in either run. Each connector's
cases run a few at a time, each in a world of its own (simulator, tables, queue, PSA); the test prints
the matrix, points by modes. The suite takes the connector as a parameter (`crash_world.CONNECTORS`).
"""

from __future__ import annotations

import asyncio
import os
import time

import pytest

from shared.devtools.simulator import Scenario
from tests.integration.crash_support import MODES, POINTS
from tests.integration.crash_world import CONNECTORS, UNREACHABLE, crash_world, northwind_changes, unpaced_autotask

pytestmark = pytest.mark.integration

AT_ONCE = int(os.environ.get("CRASH_MATRIX_AT_ONCE", "4"))  # worlds running at once


@pytest.fixture(autouse=True)
def _unpaced(monkeypatch: pytest.MonkeyPatch) -> None:
    unpaced_autotask(monkeypatch)


async def crash_case(scenario: Scenario, connector: str, point: str, mode: str) -> list[str]:
    """One case: what went wrong in it (nothing, for a clean case)."""
    async with crash_world(scenario, connector) as world:
        world.injector.arm(point, mode)
        initial = await world.sync(initial=True)
        for change in northwind_changes():
            world.env.simulator.apply(change)
        hourly = await world.sync()
        problems = [f"initial run: {p}" for p in initial.problems] + [f"hourly run: {p}" for p in hourly.problems]
        if world.injector.fired != {f"{point}/{mode}": 1}:
            problems.append(f"the fault fired {dict(world.injector.fired) or 'never'}")
        statuses = (initial.run.status.value, hourly.run.status.value)
        if statuses != ("completed", "completed"):
            problems.append(f"runs {statuses}")
        if initial.created < 7 or hourly.created != 1:  # northwind's users to create, then the new one
            problems.append(f"created {initial.created} then {hourly.created}")
        left = await world.leases_left()
        if left:
            problems.append(f"leases left: {left}")
        return problems


# HaloPSA's, ConnectWise's and Autotask's matrices are in test_crash_matrix_part2.py, so that `make test`'s
# workers run the two halves side by side.
PART2 = ("halopsa", "connectwise", "autotask")


@pytest.mark.parametrize("connector", [c for c in CONNECTORS if c not in PART2])
async def test_a_worker_failing_at_any_write_point_duplicates_nothing_and_loses_nothing(
    northwind: Scenario, connector: str, capsys: pytest.CaptureFixture[str]
) -> None:
    await matrix(northwind, connector, capsys)


async def matrix(northwind: Scenario, connector: str, capsys: pytest.CaptureFixture[str]) -> None:
    """Every case of `connector`'s matrix, printed as a table; every case must be clean."""
    started = time.monotonic()
    unreachable = UNREACHABLE.get(connector, set())
    cases = [(point, mode) for point in POINTS if point not in unreachable for mode in MODES]
    at_once = asyncio.Semaphore(AT_ONCE)

    async def run(point: str, mode: str) -> list[str]:
        async with at_once:
            try:
                return await crash_case(northwind, connector, point, mode)
            except Exception as exc:  # a case that breaks is a finding, reported with the rest
                return [f"{type(exc).__name__}: {exc}"]

    results = dict(zip(cases, await asyncio.gather(*(run(p, m) for p, m in cases)), strict=True))

    rows = [f"crash matrix [{connector}] {len(cases)} cases in {time.monotonic() - started:.0f} s"]
    rows.append(f"  {'point':<16}" + "".join(f"{mode:<12}" for mode in MODES))
    for point in POINTS:
        cells = [
            "n/a" if point in unreachable else ("clean" if not results[(point, mode)] else "FAILED") for mode in MODES
        ]
        rows.append(f"  {point:<16}" + "".join(f"{cell:<12}" for cell in cells))
    with capsys.disabled():
        print("\n" + "\n".join(rows))
    failed = {f"{point}/{mode}": problems for (point, mode), problems in results.items() if problems}
    assert failed == {}
