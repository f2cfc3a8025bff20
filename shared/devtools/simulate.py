"""`simulate SCENARIO --report REPORT [--psa NAME]`: a scenario through the real queue and handlers
(SCENARIOS.md), with the built-in directory or a vendor's API fake as the PSA.

With a vendor's fake, the report names clients and contacts by the scenario's ids wherever the scenario
gave one (decisions' `clientId` and resolutions' `contactId` reach the PSA's records loaded for them);
records the sync created keep the PSA's own id. Contacts and clients are reported as the PSA holds them
(a field it cannot hold is null), and each step also counts `psaRequests` and `psaThrottled`; the
report's `psaLoad` says what the scenario's PSA data lost on the way into the vendor's shapes.
"""

from __future__ import annotations

import logging
from typing import Any

from shared.bootstrap import App, set_app
from shared.devtools import progress as progress_module
from shared.devtools.driver import QueueDriver
from shared.devtools.environment import SimulatedEnvironment, simulated_environment
from shared.devtools.notify_step import notification_endpoint, notify_step
from shared.devtools.progress import run_progress
from shared.devtools.psa_load import DIRECTORY, Held, PsaIds, PsaTally
from shared.devtools.simulator import Scenario
from shared.devtools.simulator import scenario as sc
from shared.errors import SyncError
from shared.models import Mapping, MicrosoftFacts, PsaContact, RunRecord, RunStatus
from shared.service.ambiguities import approve_inactivations, resolve
from shared.service.discovery import discover
from shared.service.mappings import decide, refresh_suggestions
from shared.service.runs import run_details, start_run

__all__ = ["run_scenario", "simulate"]

log = logging.getLogger(__name__)
_FINISHED = (RunStatus.COMPLETED, RunStatus.PARTIAL, RunStatus.FAILED)


async def simulate(scenario: Scenario, *, storage: str | None = None, psa: str = DIRECTORY) -> dict[str, Any]:
    """Run `scenario` through the PSA named `psa` (`shared.devtools.psa_load.PSAS`) and report it."""
    async with simulated_environment(scenario, storage=storage, psa=psa) as env, notification_endpoint(env, scenario):
        set_app(env.app)
        try:
            return await run_scenario(scenario, env)
        finally:
            set_app(None)


async def run_scenario(scenario: Scenario, env: SimulatedEnvironment) -> dict[str, Any]:
    """The scenario's discovery, decisions and steps in `env` (its App installed), and the report."""
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
        "suggestions": [_suggestion(m, env.ids) for m in suggestions],
        "steps": [],
    }
    if env.vendor is not None:
        report["psaLoad"] = {"psa": env.psa_name, "notes": list(env.vendor.notes)}
    decision_errors = [err for d in scenario.decisions if (err := await _decide(app, d, env.ids))]
    for index, step in enumerate(scenario.steps):
        errors = decision_errors if index == 0 else []
        before = env.tally()
        for op in step.graph:
            env.simulator.apply(op)
        for resolution in step.resolve:
            if err := await _resolve(app, resolution, env.ids):
                errors.append(err)
        for approval in step.approve:
            try:
                run = await approve_inactivations(app, approval.tenant_id, by="scenario")
                await _wait(app, driver, run)
            except SyncError as exc:
                errors.append({"kind": "approve", "tenantId": approval.tenant_id, "reason": str(exc)})
        run_report = None
        if step.sync is not None:
            try:
                run_report = await _sync(app, driver, step.sync, env.ids)
            except SyncError as exc:  # e.g. a tenant run for a tenant that is not mapped
                errors.append(
                    {"kind": "sync", "tenantId": step.sync.tenant_id, "type": step.sync.type, "reason": str(exc)}
                )
        latency = None
        if step.notify:  # Graph notifies the step's changes; the runs they start are the step's (issue 15)
            notified = await notify_step(env, driver, step.graph, report=lambda run: _run_report(run, env.ids))
            run_report, latency = notified.run, notified.latency_ms
        report["steps"].append(await _step(app, env, run_report, errors, env.tally() - before))
        if latency is not None:
            report["steps"][-1]["notificationLatencyMs"] = latency
    return report


async def _decide(app: App, decision: sc.Decision, ids: PsaIds) -> dict[str, Any] | None:
    client_id = ids.psa("client", decision.client_id) if decision.client_id else None
    try:
        await decide(app, decision.tenant_id, decision.action, client_id=client_id, by="scenario")
    except SyncError as exc:
        return {"kind": "decision", "tenantId": decision.tenant_id, "action": decision.action, "reason": str(exc)}
    return None


async def _resolve(app: App, item: sc.Resolution, ids: PsaIds) -> dict[str, Any] | None:
    contact_id = ids.psa("contact", item.contact_id) if item.contact_id else None
    try:
        await resolve(app, item.tenant_id, item.user_id, item.action, contact_id=contact_id, by="scenario")
    except SyncError as exc:
        return {
            "kind": "resolve",
            "tenantId": item.tenant_id,
            "userId": item.user_id,
            "action": item.action,
            "reason": str(exc),
        }
    return None


async def _sync(app: App, driver: QueueDriver, sync: sc.Sync, ids: PsaIds) -> dict[str, Any]:
    run, _ = await start_run(
        app,
        sync.type,
        sync.trigger,
        dry_run=sync.dry_run,
        tenant_id=sync.tenant_id,
        incremental=sync.incremental,
    )
    await _wait(app, driver, run)
    return _run_report(await run_details(app, run.run_id), ids)


async def _wait(app: App, driver: QueueDriver, run: RunRecord) -> None:
    async def finished() -> bool:
        current = await app.runs.get(run.run_id)
        return current is not None and current.status in _FINISHED

    label = f"simulate: {run.type.value} run {run.run_id}"
    progress = run_progress(lambda: app.runs.get(run.run_id), label, run.tenants_expected)
    await driver.drain(finished, progress=progress, progress_every=progress_module.PROGRESS_EVERY)


def _suggestion(mapping: Mapping, ids: PsaIds) -> dict[str, Any]:
    return {
        "tenantId": mapping.tenant_id,
        "status": mapping.status.value,
        "candidates": [
            {"clientId": ids.scenario("client", c.client_id), "score": round(c.score, 4), "reason": c.reason.value}
            for c in mapping.candidates
        ],
    }


def _run_report(run: RunRecord, ids: PsaIds) -> dict[str, Any]:
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
                "clientId": ids.scenario("client", t.client_id) if t.client_id else t.client_id,
                "status": t.status.value,
                "error": t.error,
                "counts": t.counts.model_dump(),
                "notes": t.notes,
                "passKind": t.pass_kind,
                "users": [
                    {
                        "userId": u.user_id,
                        "outcome": u.outcome.value,
                        "contactId": ids.scenario("contact", u.contact_id) if u.contact_id else u.contact_id,
                        "reason": u.reason,
                    }
                    for u in sorted(t.users, key=lambda u: u.user_id)
                ],
            }
            for t in sorted(run.tenants, key=lambda t: t.tenant_id)
        ],
    }


async def _step(
    app: App, env: SimulatedEnvironment, run: dict[str, Any] | None, errors: list[dict[str, Any]], psa: PsaTally
) -> dict[str, Any]:
    ids = env.ids
    held = await env.held()
    entra_ids: dict[str, str] = {}
    for tenant in await app.tenants.list():
        for link in await app.links.for_tenant(tenant.tenant_id):
            entra_ids[ids.scenario("contact", link.contact_id)] = link.user_id
    step: dict[str, Any] = {
        "run": run,
        "mappings": [
            {
                "tenantId": m.tenant_id,
                "status": m.status.value,
                "clientId": ids.scenario("client", m.client_id) if m.client_id else m.client_id,
            }
            for m in await app.mappings.list()
        ],
        "contacts": [_contact(c, held, entra_ids) for c in sorted(held.contacts, key=lambda c: c.id)],
        "clients": [
            {
                "id": c.id,
                "name": c.name,
                "microsoft": c.microsoft.model_dump(mode="json", exclude={"updated_at"}) if c.microsoft else None,
            }
            for c in sorted(held.clients, key=lambda c: c.id)
        ],
        "ambiguities": [
            {
                "tenantId": a.tenant_id,
                "userId": a.user_id,
                "status": a.status.value,
                "candidateContactIds": sorted(ids.scenarios("contact", a.candidate_contact_ids)),
            }
            for a in await app.ambiguities.list()
        ],
        "psaWrites": psa.writes,
    }
    if env.vendor is not None:
        step |= {"psaRequests": psa.requests, "psaThrottled": psa.throttled}
    return step | {"errors": errors}


def _contact(contact: PsaContact, held: Held, entra_ids: dict[str, str]) -> dict[str, Any]:
    """A contact as the PSA holds it: a field it has no place for is null (R8.1)."""
    body = contact.model_dump(mode="json", exclude={"microsoft", "entra_user_id"})
    for name in held.unheld:
        body[_alias(name)] = None
    facts = None
    if contact.microsoft is not None:
        facts = _microsoft(contact.microsoft.model_dump(mode="json"))
        facts |= {_alias(name, of="facts"): None for name in held.unheld_facts}
    return body | {"entraUserId": entra_ids.get(contact.id, contact.entra_user_id), "microsoft": facts}


def _alias(name: str, *, of: str = "contact") -> str:
    fields = (MicrosoftFacts if of == "facts" else PsaContact).model_fields
    return fields[name].alias or name


def _microsoft(block: dict[str, Any]) -> dict[str, Any]:
    return {k: block.get(k) for k in ("license", "licenses", "mfaRegistered", "mfaMethods", "lastSignIn", "notes")}


def _iso(value: Any) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value is not None else None
