"""`simulate SCENARIO --report REPORT`: a scenario through the real queue and handlers (SCENARIOS.md)."""

from __future__ import annotations

import logging
from typing import Any

from shared.bootstrap import App, set_app
from shared.devtools.driver import QueueDriver
from shared.devtools.environment import SimulatedEnvironment, simulated_environment
from shared.devtools.simulator import Scenario
from shared.devtools.simulator import scenario as sc
from shared.errors import SyncError
from shared.models import Mapping, RunRecord, RunStatus
from shared.service.ambiguities import approve_inactivations, resolve
from shared.service.discovery import discover
from shared.service.mappings import decide, refresh_suggestions
from shared.service.runs import run_details, start_run

__all__ = ["simulate"]

log = logging.getLogger(__name__)
_FINISHED = (RunStatus.COMPLETED, RunStatus.PARTIAL, RunStatus.FAILED)


async def simulate(scenario: Scenario, *, storage: str | None = None) -> dict[str, Any]:
    async with simulated_environment(scenario, storage=storage) as env:
        set_app(env.app)
        try:
            return await _run(scenario, env)
        finally:
            set_app(None)


async def _run(scenario: Scenario, env: SimulatedEnvironment) -> dict[str, Any]:
    from functions.sync_worker import tenant_poison, tenant_worker  # the handlers the host calls

    app = env.app
    driver = QueueDriver(
        env.account, tenant_worker.build().get_user_function(), tenant_poison.build().get_user_function()
    )
    discovered = await discover(app)
    suggestions = await refresh_suggestions(app)
    report: dict[str, Any] = {
        "scenario": scenario.name,
        "discovered": [
            {"tenantId": t.tenant_id, "displayName": t.display_name, "domains": t.domains}
            for t in discovered.tenants
            if t.managed
        ],
        "suggestions": [_suggestion(m) for m in suggestions],
        "steps": [],
    }
    decision_errors = [err for d in scenario.decisions if (err := await _decide(app, d))]
    for index, step in enumerate(scenario.steps):
        errors = decision_errors if index == 0 else []
        writes_before = env.psa.writes
        for op in step.graph:
            env.simulator.apply(op)
        for resolution in step.resolve:
            if err := await _resolve(app, resolution):
                errors.append(err)
        for approval in step.approve:
            try:
                run = await approve_inactivations(app, approval.tenant_id, by="scenario")
                await _wait(app, driver, run.run_id)
            except SyncError as exc:
                errors.append({"kind": "approve", "tenantId": approval.tenant_id, "reason": str(exc)})
        run_report = None
        if step.sync is not None:
            try:
                run_report = await _sync(app, driver, step.sync)
            except SyncError as exc:  # e.g. a tenant run for a tenant that is not mapped
                errors.append(
                    {"kind": "sync", "tenantId": step.sync.tenant_id, "type": step.sync.type, "reason": str(exc)}
                )
        report["steps"].append(await _step(app, env, run_report, errors, env.psa.writes - writes_before))
    return report


async def _decide(app: App, decision: sc.Decision) -> dict[str, Any] | None:
    try:
        await decide(app, decision.tenant_id, decision.action, client_id=decision.client_id, by="scenario")
    except SyncError as exc:
        return {"kind": "decision", "tenantId": decision.tenant_id, "action": decision.action, "reason": str(exc)}
    return None


async def _resolve(app: App, item: sc.Resolution) -> dict[str, Any] | None:
    try:
        await resolve(app, item.tenant_id, item.user_id, item.action, contact_id=item.contact_id, by="scenario")
    except SyncError as exc:
        return {
            "kind": "resolve",
            "tenantId": item.tenant_id,
            "userId": item.user_id,
            "action": item.action,
            "reason": str(exc),
        }
    return None


async def _sync(app: App, driver: QueueDriver, sync: sc.Sync) -> dict[str, Any]:
    run, _ = await start_run(
        app,
        sync.type,
        sync.trigger,
        dry_run=sync.dry_run,
        tenant_id=sync.tenant_id,
        incremental=sync.incremental,
    )
    await _wait(app, driver, run.run_id)
    return _run_report(await run_details(app, run.run_id))


async def _wait(app: App, driver: QueueDriver, run_id: str) -> None:
    async def finished() -> bool:
        run = await app.runs.get(run_id)
        return run is not None and run.status in _FINISHED

    await driver.drain(finished)


def _suggestion(mapping: Mapping) -> dict[str, Any]:
    return {
        "tenantId": mapping.tenant_id,
        "status": mapping.status.value,
        "candidates": [
            {"clientId": c.client_id, "score": round(c.score, 4), "reason": c.reason.value} for c in mapping.candidates
        ],
    }


def _run_report(run: RunRecord) -> dict[str, Any]:
    return {
        "runId": run.run_id,
        "type": run.type.value,
        "trigger": run.trigger.value,
        "dryRun": run.dry_run,
        "status": run.status.value,
        "startedAt": _iso(run.started_at),
        "completedAt": _iso(run.completed_at),
        "tenantsExpected": run.tenants_expected,
        "tenantsProcessed": run.tenants_processed,
        "succeeded": run.succeeded,
        "failed": run.failed,
        "held": run.held,
        "counts": run.counts.model_dump(),
        "psaWrites": run.psa_writes,
        "tenants": [
            {
                "tenantId": t.tenant_id,
                "clientId": t.client_id,
                "status": t.status.value,
                "error": t.error,
                "counts": t.counts.model_dump(),
                "notes": t.notes,
                "passKind": t.pass_kind,
                "users": [
                    {"userId": u.user_id, "outcome": u.outcome.value, "contactId": u.contact_id, "reason": u.reason}
                    for u in sorted(t.users, key=lambda u: u.user_id)
                ],
            }
            for t in sorted(run.tenants, key=lambda t: t.tenant_id)
        ],
    }


async def _step(
    app: App, env: SimulatedEnvironment, run: dict[str, Any] | None, errors: list[dict[str, Any]], writes: int
) -> dict[str, Any]:
    clients = await env.directory.list_clients()
    entra_ids: dict[str, str] = {}
    for tenant in await app.tenants.list():
        for link in await app.links.for_tenant(tenant.tenant_id):
            entra_ids[link.contact_id] = link.user_id
    contacts = [c for client in clients for c in await env.directory.list_contacts(client.id)]
    return {
        "run": run,
        "mappings": [
            {"tenantId": m.tenant_id, "status": m.status.value, "clientId": m.client_id}
            for m in await app.mappings.list()
        ],
        "contacts": [
            {
                **c.model_dump(mode="json", exclude={"microsoft", "entra_user_id"}),
                "entraUserId": entra_ids.get(c.id, c.entra_user_id),
                "microsoft": _microsoft(c.microsoft.model_dump(mode="json")) if c.microsoft else None,
            }
            for c in sorted(contacts, key=lambda c: c.id)
        ],
        "clients": [
            {
                "id": c.id,
                "name": c.name,
                "microsoft": c.microsoft.model_dump(mode="json", exclude={"updated_at"}) if c.microsoft else None,
            }
            for c in clients
        ],
        "ambiguities": [
            {
                "tenantId": a.tenant_id,
                "userId": a.user_id,
                "status": a.status.value,
                "candidateContactIds": sorted(a.candidate_contact_ids),
            }
            for a in await app.ambiguities.list()
        ],
        "psaWrites": writes,
        "errors": errors,
    }


def _microsoft(block: dict[str, Any]) -> dict[str, Any]:
    return {k: block.get(k) for k in ("license", "licenses", "mfaRegistered", "mfaMethods", "lastSignIn", "notes")}


def _iso(value: Any) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value is not None else None
