"""`python -m shared.cli COMMAND`: see `--help`."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from shared.cli.commands import add_commands, run_command
from shared.errors import StorageUnavailable, SyncError, ValidationFailed

__all__ = ["main"]

# shared.devtools.psa_load.PSAS, without importing the dev tools early
PSAS = ("directory", "syncro", "alga", "halopsa", "connectwise", "autotask")
_PSA_HELP = "the PSA: the built-in directory (default) or a vendor's API fake, loaded with the scenario's PSA data"
AZURITE = "npx azurite --inMemoryPersistence --disableTelemetry --skipApiVersionCheck --loose"
_LOOPBACK = {"127.0.0.1", "localhost", "::1"}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m shared.cli", description=__doc__)
    parser.add_argument("-v", "--verbose", action="store_true", help="log what the app does")
    sub = parser.add_subparsers(dest="command", required=True)
    simulate = sub.add_parser("simulate", help="run a scenario through Azurite, the Graph simulator and the handlers")
    simulate.add_argument("scenario", type=Path)
    simulate.add_argument("--report", type=Path, help="write the JSON report here")
    simulate.add_argument("--quiet", action="store_true", help="no summary table")
    simulate.add_argument("--psa", choices=PSAS, default="directory", help=_PSA_HELP)
    bench = sub.add_parser("bench", help="measure Graph ingest, full and incremental syncs (JSON, then a table)")
    bench.add_argument("--tenants", type=int, help="customer tenants (default 50; 8 with --psa)")
    bench.add_argument("--users", type=int, help="users per tenant (default 400; 35 with --psa)")
    bench.add_argument("--ingest-users", type=int, default=2000, help="users in the ingest comparison")
    bench.add_argument(
        "--changed", type=float, help="share of users changed for the incremental run (default 0.01; 0.1 with --psa)"
    )
    bench.add_argument("--workers", type=int, default=8, help="tenant messages handled at once (host batchSize)")
    bench.add_argument(
        "--new-batch-threshold", type=int, help="fetch more once this many are in flight (default workers/2)"
    )
    bench.add_argument(
        "--also", action="append", default=[], metavar="TxU", help="another shape in the same run, e.g. 200x500"
    )
    bench.add_argument("--no-sdk", action="store_true", help="skip timing msgraph-sdk's typed models")
    bench.add_argument(
        "--target-phases",
        action="store_true",
        help="run only the full (initial) and no-change phases, the ones issue 16's targets read (big sizes)",
    )
    bench.add_argument("--json", type=Path, help="also write the JSON object here")
    bench.add_argument(
        "--psa",
        choices=[p for p in PSAS if p != "directory"],
        help="instead: T tenants x U users through this vendor's API fake at its rate limit (requests per "
        "created, updated and unchanged user, rate reached, throttled, lost and duplicated contacts); "
        "--tenants and --users default to 8 x 35 then",
    )
    bench.add_argument(
        "--notifications",
        action="store_true",
        help="instead: Graph change notifications end to end: --changes users changed one by one across --tenants "
        "(default 5 x 40 users), latency to the PSA write, requests and passes per change; then a --burst",
    )
    bench.add_argument(
        "--pacing",
        action="store_true",
        help="with --psa: --instances connectors, each with its own storage client, claim from the request budget "
        "shared in storage and drive the vendor's fake for --seconds (rate against the limit, throttled, storage "
        "calls per PSA request)",
    )
    bench.add_argument("--instances", type=int, default=3, help="with --pacing: instances of the app")
    bench.add_argument("--seconds", type=float, default=90.0, help="with --pacing: how long they drive the fake")
    bench.add_argument("--changes", type=int, default=20, help="with --notifications: users changed one by one")
    bench.add_argument("--burst", type=int, default=1000, help="with --notifications: changes at once in one tenant")
    add_commands(sub)
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING, format="%(levelname)s %(name)s: %(message)s"
    )
    try:
        if args.command == "simulate":
            return asyncio.run(_simulate(args.scenario, args.report, args.quiet, args.psa))
        if args.command == "bench":
            return asyncio.run(_bench(args))
        return asyncio.run(run_command(args))
    except ValidationFailed as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except StorageUnavailable as exc:
        print(f"error: {_unreachable(exc)}", file=sys.stderr)
        return 1
    except SyncError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1


async def _simulate(path: Path, report_path: Path | None, quiet: bool, psa: str) -> int:
    from shared.cli.render import report_summary
    from shared.devtools.simulate import simulate
    from shared.devtools.simulator import load_scenario

    scenario = load_scenario(path)
    report = await simulate(scenario, psa=psa)
    if report_path is not None:
        await asyncio.to_thread(_write, report_path, json.dumps(report, indent=2) + "\n")
    if not quiet:
        print(report_summary(report))
        if report_path is not None:
            print(f"\nReport written to {report_path}")
    return 0


async def _bench(args: argparse.Namespace) -> int:
    if args.notifications:
        return await _notify_bench(args)
    if args.psa and args.pacing:
        return await _pacing_bench(args)
    if args.psa:
        return await _psa_bench(args)
    from shared.devtools.bench import BenchOptions, render_table, run_bench

    options = BenchOptions(
        tenants=args.tenants or 50,
        users=args.users or 400,
        ingest_users=args.ingest_users,
        changed_share=0.01 if args.changed is None else args.changed,
        workers=args.workers,
        sdk=not args.no_sdk,
        new_batch_threshold=args.new_batch_threshold,
        also=tuple(_shape(text) for text in args.also),
        target_phases=args.target_phases,
    )
    result = await run_bench(options)
    return await _show(result, render_table(result), args.json)


async def _show(result: dict[str, Any], table: str, json_path: Path | None) -> int:
    """A bench's result: its JSON object and its table on stdout, the JSON also to `json_path`."""
    text = json.dumps(result, indent=2)
    print(text)
    print()
    print(table)
    if json_path is not None:
        await asyncio.to_thread(_write, json_path, text + "\n")
    return 0


def _shape(text: str) -> tuple[int, int]:
    tenants, _, users = text.lower().partition("x")
    if not (tenants.isdigit() and users.isdigit()):
        raise ValidationFailed(f"--also takes TENANTSxUSERS, e.g. 200x500, not {text!r}", field="also")
    return int(tenants), int(users)


async def _psa_bench(args: argparse.Namespace) -> int:
    from shared.devtools.psa_bench import PsaBenchOptions, render_psa_table, run_psa_bench

    options = PsaBenchOptions(
        psa=args.psa,
        tenants=args.tenants or 8,
        users=args.users or 35,
        changed_share=0.1 if args.changed is None else args.changed,
        workers=args.workers,
    )
    result = await run_psa_bench(options)
    return await _show(result, render_psa_table(result), args.json)


async def _pacing_bench(args: argparse.Namespace) -> int:
    from shared.devtools.bench_pacing import PacingBenchOptions, render_pacing_table, run_pacing_bench

    options = PacingBenchOptions(psa=args.psa, instances=args.instances, workers=args.workers, seconds=args.seconds)
    result = await run_pacing_bench(options)
    return await _show(result, render_pacing_table(result), args.json)


async def _notify_bench(args: argparse.Namespace) -> int:
    from shared.devtools.bench_notify import NotifyBenchOptions, bench_notifications, render_notify_table

    options = NotifyBenchOptions(
        tenants=args.tenants or 5, users=args.users or 40, changes=args.changes, burst=args.burst, workers=args.workers
    )
    result = await bench_notifications(options)
    return await _show(result, render_notify_table(result), args.json)


def _unreachable(exc: StorageUnavailable) -> str:
    """One line: on this machine the account is Azurite, so say how to start it."""
    if urlsplit(exc.endpoint).hostname not in _LOOPBACK:
        return str(exc)
    return (
        f"storage (Azurite) is not reachable at {exc.endpoint} ({exc.setting}): start it with "
        f"`make azurite-start`, or `{AZURITE}`"
    )


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


if __name__ == "__main__":
    sys.exit(main())
