"""Operator commands on the app's use cases: the same calls the HTTP API makes."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from shared.bootstrap import App, build_app
from shared.cli.render import table
from shared.config import load_settings
from shared.models import AmbiguityStatus, Mapping, RunType, Tenant, Trigger

__all__ = ["add_commands", "run_command"]


def add_commands(sub: Any) -> None:
    discover = sub.add_parser("discover", help="discover tenants and show the mapping suggestions")
    discover.add_argument("--scenario", type=Path, help="against the Graph simulator serving this scenario")
    sub.add_parser("tenants", help="known tenants and their connection health")
    sub.add_parser("mappings", help="mapping suggestions and decisions")
    decide = sub.add_parser("map", help="decide a tenant's client")
    decide.add_argument("tenant")
    decide.add_argument("action", choices=["confirm", "map", "import", "skip"])
    decide.add_argument("--client", help="the client id, for 'map'")
    unmap = sub.add_parser("unmap", help="undo a tenant's mapping")
    unmap.add_argument("tenant")
    start = sub.add_parser("sync", help="start a run and print its id")
    start.add_argument("--type", choices=[t.value for t in RunType], default=RunType.ALL_TENANTS.value)
    start.add_argument("--tenant")
    start.add_argument("--dry-run", action="store_true")
    start.add_argument("--incremental", action="store_true", help="delta passes where a tenant allows them")
    runs = sub.add_parser("runs", help="recent runs, newest first")
    runs.add_argument("--limit", type=int, default=20)
    show = sub.add_parser("run", help="one run: 'run show RUN_ID'")
    show.add_argument("verb", choices=["show"])
    show.add_argument("run_id")
    show.add_argument("--json", action="store_true", help="the whole record as JSON")
    amb = sub.add_parser("ambiguities", help="matches waiting for a person")
    amb.add_argument("--status", choices=[s.value for s in AmbiguityStatus], default=AmbiguityStatus.OPEN.value)
    res = sub.add_parser("resolve", help="settle an ambiguity")
    res.add_argument("tenant")
    res.add_argument("user")
    res.add_argument("action", choices=["existing", "new", "dismiss"])
    res.add_argument("--contact", help="the contact id, for 'existing'")


async def run_command(args: argparse.Namespace) -> int:
    if args.command == "discover" and args.scenario:
        return await _discover_scenario(args.scenario)
    app = build_app(load_settings())
    try:
        await app.ensure()
        return await _dispatch(app, args)
    finally:
        await app.aclose()


async def _dispatch(app: App, args: argparse.Namespace) -> int:
    from shared.service import ambiguities, mappings, runs
    from shared.service.discovery import discover

    if args.command == "discover":
        await discover(app)
        _print_suggestions(await app.tenants.list(), await mappings.refresh_suggestions(app))
    elif args.command == "tenants":
        _print_tenants(await app.tenants.list())
    elif args.command == "mappings":
        _print_suggestions(await app.tenants.list(), await mappings.list_mappings(app))
    elif args.command == "map":
        mapping = await mappings.decide(
            app, args.tenant, mappings.Decision(args.action), client_id=args.client, by="cli"
        )
        print(f"{mapping.tenant_id}: {mapping.status.value} {mapping.client_id or ''}".rstrip())
    elif args.command == "unmap":
        mapping = await mappings.unmap(app, args.tenant, by="cli")
        print(f"{mapping.tenant_id}: {mapping.status.value}")
    elif args.command == "sync":
        run, started = await runs.start_run(
            app,
            RunType(args.type),
            Trigger.MANUAL,
            dry_run=args.dry_run,
            tenant_id=args.tenant,
            incremental=args.incremental,
        )
        print(f"{run.run_id} {'started' if started else 'joined'} ({run.tenants_expected} tenants)")
    elif args.command == "runs":
        rows = [
            [
                r.run_id,
                r.type.value,
                r.trigger.value,
                r.status.value,
                r.started_at.isoformat(timespec="seconds"),
                f"{r.tenants_processed}/{r.tenants_expected}",
                r.failed,
                r.held,
            ]
            for r in await app.runs.page(args.limit)
        ]
        print(table(["run", "type", "trigger", "status", "started", "tenants", "failed", "held"], rows))
    elif args.command == "run":
        record = await runs.run_details(app, args.run_id)
        if args.json:
            print(record.model_dump_json(indent=2))
        else:
            _print_run(record)
    elif args.command == "ambiguities":
        items = await ambiguities.list_ambiguities(app, AmbiguityStatus(args.status))
        print(
            table(
                ["tenant", "user", "name", "candidates", "status"],
                [
                    [a.tenant_id, a.user_id, a.display_name, ", ".join(a.candidate_contact_ids), a.status.value]
                    for a in items
                ],
            )
        )
    elif args.command == "resolve":
        done = await ambiguities.resolve(
            app, args.tenant, args.user, ambiguities.Resolution(args.action), contact_id=args.contact, by="cli"
        )
        print(f"{done.user_id}: {done.status.value} {done.contact_id or ''}".rstrip())
    return 0


async def _discover_scenario(path: Path) -> int:
    from shared.devtools.environment import simulated_environment
    from shared.devtools.simulator import load_scenario
    from shared.service.discovery import discover
    from shared.service.mappings import refresh_suggestions

    async with simulated_environment(load_scenario(path)) as env:
        result = await discover(env.app)
        _print_tenants(result.tenants)
        print()
        _print_suggestions(result.tenants, await refresh_suggestions(env.app))
    return 0


def _print_tenants(tenants: list[Tenant]) -> None:
    rows = [
        [
            t.display_name,
            t.tenant_id,
            ", ".join(t.domains),
            t.health.value,
            "" if t.managed else "left",
            (t.health_message or "")[:60],
        ]
        for t in tenants
    ]
    print(table(["tenant", "id", "domains", "health", "", "message"], rows))


def _print_suggestions(tenants: list[Tenant], mappings: list[Mapping]) -> None:
    names = {t.tenant_id: t.display_name for t in tenants}
    rows = [
        [
            names.get(m.tenant_id, m.tenant_id),
            m.status.value,
            m.client_id or "",
            "; ".join(
                f"{c.client_id} {c.reason.value} {c.score:.2f}" + (f" ({c.detail})" if c.detail else "")
                for c in m.candidates
            )
            or "-",
        ]
        for m in mappings
    ]
    print(table(["tenant", "status", "client", "candidates (score, why)"], rows))


def _print_run(run: Any) -> None:
    print(
        f"run {run.run_id}: {run.type.value} ({run.trigger.value}{', dry run' if run.dry_run else ''}) "
        f"{run.status.value}; tenants {run.tenants_processed}/{run.tenants_expected}, PSA writes {run.psa_writes}"
    )
    for tenant in run.tenants:
        print(
            f"\n{tenant.tenant_id} → {tenant.client_id}: {tenant.status.value}"
            + (f" — {tenant.error}" if tenant.error else "")
            + "".join(f" [{n}]" for n in tenant.notes)
        )
        print(
            table(
                ["user", "name", "outcome", "contact", "reason"],
                [[u.user_id, u.display_name, u.outcome.value, u.contact_id, u.reason] for u in tenant.users],
            )
        )
