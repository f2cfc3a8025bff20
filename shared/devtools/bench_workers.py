"""`python -m shared.devtools.bench_workers`: the queue trigger's concurrency, measured side by side.

One environment (Azurite, the Graph simulator, the real queue and handlers, as `bench`), mapped and
synced once; then, for each host.json setting (`batchSize` W, `newBatchThreshold` W/2 as the host's
default) in turn, a full pass of every tenant (a manual run: contacts already there) and an incremental
run with no change. The settings take turns for `--rounds` rounds, so a load that comes and goes on the
machine falls on all of them. Prints one JSON object, then a table.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
from typing import Any

from shared.devtools.bench import BenchOptions, _map_all, _phase, _timed_run, bench_environment, peak_rss_mb
from shared.devtools.bench_data import BenchShape, bench_scenario
from shared.models import RunType, Trigger

__all__ = ["bench_workers", "main"]


async def bench_workers(tenants: int, users: int, workers: list[int], rounds: int) -> dict[str, Any]:
    scenario = bench_scenario(BenchShape(tenants=tenants, users=users))
    total = sum(len(t.users) for t in scenario.tenants)
    options = BenchOptions(tenants=tenants, users=users, workers=max(workers), sdk=False, progress_every=15)
    figures: dict[int, list[dict[str, Any]]] = {w: [] for w in workers}
    async with bench_environment(scenario, options) as env:
        await _map_all(env, scenario)
        await _timed_run(env, RunType.INITIAL, Trigger.MANUAL, "initial", 15)
        for round_ in range(rounds):
            for w in workers:
                env.driver._batch_size, env.driver._threshold = w, w // 2
                cpu = time.process_time()
                run, seconds = await _timed_run(env, RunType.ALL_TENANTS, Trigger.MANUAL, f"full w={w}", 15)
                full = _phase(env, run, seconds, total) | {"cpu_seconds": round(time.process_time() - cpu, 1)}
                cpu = time.process_time()
                run, seconds = await _timed_run(env, RunType.ALL_TENANTS, Trigger.TIMER, f"no change w={w}", 15)
                quiet = _phase(env, run, seconds, total) | {"cpu_seconds": round(time.process_time() - cpu, 1)}
                figures[w].append({"round": round_, "full": _slim(full), "no_change": _slim(quiet)})
    return {
        "shape": {"tenants": tenants, "users": users, "rounds": rounds},
        "load_average": [round(n, 2) for n in os.getloadavg()],
        "peak_rss_mb": round(peak_rss_mb(), 1),
        "by_workers": {str(w): runs for w, runs in figures.items()},
    }


def _slim(phase: dict[str, Any]) -> dict[str, Any]:
    keys = (
        "seconds",
        "users_per_second",
        "tenants_per_second",
        "storage_transactions_per_tenant",
        "cpu_seconds",
        "worker_cpu_ms_per_tenant",
    )
    return {k: phase[k] for k in keys}


def render(result: dict[str, Any]) -> str:
    shape = result["shape"]
    lines = [
        f"{shape['tenants']} tenants x {shape['users']} users, {shape['rounds']} round(s), best of the rounds "
        f"(load average at the end {result['load_average']})",
        f"{'batchSize':>9}{'full s':>9}{'users/s':>9}{'cpu s':>7}{'worker ms/tenant':>17}"
        f"{'no-change s':>13}{'tenants/s':>10}{'cpu s':>7}{'worker ms/tenant':>17}",
    ]
    for w, runs in result["by_workers"].items():
        full = min((r["full"] for r in runs), key=lambda p: p["seconds"])
        quiet = min((r["no_change"] for r in runs), key=lambda p: p["seconds"])
        lines.append(
            f"{w:>9}{full['seconds']:>9.1f}{full['users_per_second']:>9.0f}{full['cpu_seconds']:>7.1f}"
            f"{full['worker_cpu_ms_per_tenant']:>17.1f}"
            f"{quiet['seconds']:>13.1f}{quiet['tenants_per_second']:>10.1f}{quiet['cpu_seconds']:>7.1f}"
            f"{quiet['worker_cpu_ms_per_tenant']:>17.1f}"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m shared.devtools.bench_workers", description=__doc__)
    parser.add_argument("--tenants", type=int, default=200)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--workers", default="4,8,16,32", help="batchSize values, comma-separated")
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args(argv)
    workers = [int(w) for w in args.workers.split(",") if w.strip()]
    result = asyncio.run(bench_workers(args.tenants, args.users, workers, args.rounds))
    print(json.dumps(result, indent=2))
    print(render(result), file=sys.stdout)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
