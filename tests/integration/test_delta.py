"""Incremental passes: the hourly timer's runs read `/users/delta` from the stored link (issue 7).

The environment counts every storage request (the bench's hook) and every PSA call, on the northwind
scenario through the real queue and handlers.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from shared.devtools.bench import BenchEnvironment, BenchOptions, bench_environment
from shared.devtools.simulator import Scenario
from shared.models import (
    Counts,
    InactiveReason,
    MicrosoftFacts,
    Outcome,
    PsaContact,
    RunRecord,
    RunType,
    TenantResult,
    Trigger,
)
from shared.service.delta_pass import NO_CHANGES
from shared.service.runs import run_details, start_run
from shared.sync.facts import P1_NOTE
from tests.integration.helpers import DANA, GREENLEAF, NORTHSTAR, PIONEER, PRIYA, SAM, drain, map_northwind, run_sync

NEW_USER = "5b1d0c3e-2f4a-4e8b-9c7d-0a1b2c3d4e5f"
RUN_ROWS = {"Runs", "RunTenants", "RunUsers", "SyncState:lease", "SyncState:scope"}


@pytest.fixture
async def counted(northwind: Scenario) -> AsyncIterator[BenchEnvironment]:
    """Northwind, mapped, with every storage request and PSA call counted."""
    async with bench_environment(northwind, BenchOptions()) as environment:
        await map_northwind(environment)  # type: ignore[arg-type]
        yield environment


async def timer_sync(env: BenchEnvironment) -> RunRecord:
    """What the hourly timer starts: an all-tenants run, incremental where it can be."""
    run, _ = await start_run(env.app, RunType.ALL_TENANTS, Trigger.TIMER)
    await drain(env, run.run_id, env.driver)  # type: ignore[arg-type]
    return await run_details(env.app, run.run_id)


async def initial_sync(env: BenchEnvironment) -> RunRecord:
    return await run_sync(env, RunType.INITIAL, queue=env.driver)  # type: ignore[arg-type]


def tenant(run: RunRecord, tenant_id: str) -> TenantResult:
    return next(t for t in run.tenants if t.tenant_id == tenant_id)


def outcomes(run: RunRecord, tenant_id: str) -> dict[str, Outcome]:
    return {u.user_id: u.outcome for u in tenant(run, tenant_id).users}


async def contact_of(env: BenchEnvironment, run: RunRecord, tenant_id: str, user_id: str) -> PsaContact:
    result = tenant(run, tenant_id)
    user = next(u for u in result.users if u.user_id == user_id)
    assert result.client_id and user.contact_id
    contact = await env.psa.inner.get_contact(result.client_id, user.contact_id)  # type: ignore[attr-defined]
    assert isinstance(contact, PsaContact)
    return contact


def graph_paths(env: BenchEnvironment, tenant_id: str) -> list[str]:
    return [
        r.path
        for r in env.simulator.requests
        if r.service == "graph" and not r.in_batch and (r.tenant or "").lower() == tenant_id.lower()
    ]


async def test_a_timer_run_reads_the_changes_from_the_stored_delta_link(counted: BenchEnvironment) -> None:
    await initial_sync(counted)
    cursor = await counted.app.cursors.get(GREENLEAF)
    assert cursor is not None and cursor.delta_link
    counted.simulator.apply(
        {"op": "update", "tenantId": GREENLEAF, "userId": PRIYA, "set": {"jobTitle": "Lead Hygienist"}}
    )
    counted.simulator.clear_requests()

    run = await timer_sync(counted)

    greenleaf = tenant(run, GREENLEAF)
    assert greenleaf.pass_kind == "delta" and outcomes(run, GREENLEAF) == {PRIYA: Outcome.UPDATED}
    assert graph_paths(counted, GREENLEAF) == ["/users/delta"]
    sent = next(r for r in counted.simulator.requests if r.path == "/users/delta" and r.tenant == GREENLEAF)
    assert sent.query["$deltatoken"] == parse_qs(urlsplit(cursor.delta_link).query)["$deltatoken"][0]
    assert (await contact_of(counted, run, GREENLEAF, PRIYA)).title == "Lead Hygienist"
    assert tenant(run, NORTHSTAR).notes == [NO_CHANGES]


async def test_a_delta_pass_with_no_changes_makes_one_graph_request_no_psa_call_and_no_write(
    counted: BenchEnvironment,
) -> None:
    await initial_sync(counted)
    counted.simulator.clear_requests()
    counted.storage.reset()
    counted.psa.reset()

    run = await timer_sync(counted)

    for tenant_id in (GREENLEAF, NORTHSTAR, PIONEER):
        result = tenant(run, tenant_id)
        assert (result.pass_kind, result.notes, result.counts, result.users) == ("delta", [NO_CHANGES], Counts(), [])
        assert graph_paths(counted, tenant_id) == ["/users/delta"]
    assert counted.psa.calls == 0
    assert set(counted.storage.writes_by_table) <= RUN_ROWS, counted.storage.writes_by_table
    assert counted.storage.sync_writes() == 0


async def test_an_expired_delta_link_410_gives_a_full_pass_and_then_delta_again(counted: BenchEnvironment) -> None:
    await initial_sync(counted)
    counted.simulator.expire_delta_tokens(NORTHSTAR)
    counted.simulator.apply({"op": "disable", "tenantId": NORTHSTAR, "userId": DANA})

    run = await timer_sync(counted)

    northstar = tenant(run, NORTHSTAR)
    assert northstar.pass_kind == "full" and "full pass: the delta link expired" in northstar.notes
    assert outcomes(run, NORTHSTAR)[DANA] is Outcome.INACTIVATED
    assert any(r.status == 410 and r.error == "syncStateNotFound" for r in counted.simulator.requests)
    assert tenant(run, GREENLEAF).pass_kind == "delta"
    again = await timer_sync(counted)
    assert (tenant(again, NORTHSTAR).pass_kind, tenant(again, NORTHSTAR).notes) == ("delta", [NO_CHANGES])


async def test_r5_2_a_user_removed_in_delta_is_inactivated_and_r5_3_a_restore_reactivates(
    counted: BenchEnvironment,
) -> None:
    await initial_sync(counted)
    counted.simulator.apply({"op": "delete", "tenantId": NORTHSTAR, "userId": DANA})

    deleted = await timer_sync(counted)

    assert tenant(deleted, NORTHSTAR).pass_kind == "delta"
    assert outcomes(deleted, NORTHSTAR) == {DANA: Outcome.INACTIVATED}
    contact = await contact_of(counted, deleted, NORTHSTAR, DANA)
    assert not contact.active and contact.inactive_reason == InactiveReason.DELETED.value
    link = await counted.app.links.get(NORTHSTAR, DANA)
    assert link is not None and link.user_deleted and link.contact_id == contact.id  # kept for a restore

    counted.simulator.apply({"op": "restore", "tenantId": NORTHSTAR, "userId": DANA})
    restored = await timer_sync(counted)

    assert outcomes(restored, NORTHSTAR) == {DANA: Outcome.REACTIVATED}
    assert (await contact_of(counted, restored, NORTHSTAR, DANA)).active


async def test_a_full_pass_runs_again_once_full_sync_interval_hours_have_passed(counted: BenchEnvironment) -> None:
    now = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)
    counted.app.clock = lambda: now
    counted.app.settings = counted.app.settings.model_copy(update={"full_sync_interval_hours": 6})
    await initial_sync(counted)

    kinds = []
    for hours in (1, 5, 6, 7, 12):
        now = datetime(2026, 11, 2, 8, 0, tzinfo=UTC) + timedelta(hours=hours)
        kinds.append(tenant(await timer_sync(counted), PIONEER).pass_kind)

    # 6 h after the initial pass a full one is due; the next is due 6 h after that one (at 12 h).
    assert kinds == ["delta", "delta", "full", "delta", "full"]


async def test_a_settings_change_makes_the_next_timer_pass_a_full_one(counted: BenchEnvironment) -> None:
    await initial_sync(counted)
    settings = await counted.app.sync_settings.effective(PIONEER)
    await counted.app.sync_settings.save_global(
        settings.model_copy(update={"field_controls": settings.field_controls.model_copy(update={"phone": False})})
    )

    run = await timer_sync(counted)

    assert {t.pass_kind for t in run.tenants} == {"full"}
    assert "full pass: the sync settings changed" in tenant(run, PIONEER).notes


async def test_a_tenant_without_p1_is_asked_once_and_its_next_full_pass_makes_the_minimum_of_requests(
    counted: BenchEnvironment,
) -> None:
    await initial_sync(counted)
    asked = [(r.path, r.status) for r in counted.simulator.requests if r.tenant == NORTHSTAR and r.status >= 400]
    # In the one batch: the MFA report and the users with sign-in activity refused; then the users alone.
    assert sorted(asked) == [("/reports/authenticationMethods/userRegistrationDetails", 403), ("/users", 403)]
    assert graph_paths(counted, NORTHSTAR)[-2:] == ["/$batch", "/users"]  # after discovery's /organization
    counted.simulator.clear_requests()

    run = await run_sync(counted, RunType.ALL_TENANTS, queue=counted.driver)  # type: ignore[arg-type]

    assert tenant(run, NORTHSTAR).pass_kind == "full" and P1_NOTE in tenant(run, NORTHSTAR).notes
    assert graph_paths(counted, NORTHSTAR) == ["/$batch"]  # one round trip: known without P1, nothing refused
    inner = [r.path for r in counted.simulator.requests if r.in_batch and r.tenant == NORTHSTAR]
    assert sorted(inner) == ["/security/secureScores", "/subscribedSkus", "/users", "/users/delta"]


# --- a delta pass and a full pass over the same changes --------------------------------------------

ROUNDS: list[list[dict[str, Any]]] = [
    [
        {
            "op": "update",
            "tenantId": GREENLEAF,
            "userId": PRIYA,
            "set": {"jobTitle": "Lead Hygienist", "mobilePhone": None},
        },
        {"op": "disable", "tenantId": NORTHSTAR, "userId": DANA},
        {"op": "delete", "tenantId": GREENLEAF, "userId": SAM},
        {
            "op": "add",
            "tenantId": PIONEER,
            "user": {
                "id": NEW_USER,
                "displayName": "Iris Vale",
                "givenName": "Iris",
                "surname": "Vale",
                "mail": "i.vale@pioneerlegal.example",
                "userPrincipalName": "i.vale@pioneerlegal.example",
                "accountEnabled": True,
                "userType": "Member",
                "jobTitle": "Paralegal",
            },
        },
    ],
    [
        {"op": "restore", "tenantId": GREENLEAF, "userId": SAM},
        {"op": "enable", "tenantId": NORTHSTAR, "userId": DANA},
        {"op": "update", "tenantId": PIONEER, "userId": NEW_USER, "set": {"jobTitle": "Associate", "city": "Tacoma"}},
    ],
]


async def _play(
    northwind: Scenario, *, incremental: bool, minimal: bool = False
) -> list[tuple[RunRecord, list[PsaContact]]]:
    """The initial sync, then each round of changes followed by a timer (delta) or a manual (full) run.
    `minimal`: delta pages carry only the changed properties of an updated user (Prefer: return=minimal)."""
    seen = []
    async with bench_environment(northwind, BenchOptions()) as env:
        if minimal:

            async def prefer_minimal(request: httpx.Request) -> None:
                if request.url.path.endswith("/users/delta"):
                    request.headers["Prefer"] = "return=minimal"

            env.app.graph._http.event_hooks["request"].append(prefer_minimal)
        await map_northwind(env)  # type: ignore[arg-type]
        await initial_sync(env)
        for changes in ROUNDS:
            for op in changes:
                env.simulator.apply(op)
            if incremental:
                run = await timer_sync(env)
            else:
                run = await run_sync(env, RunType.ALL_TENANTS, queue=env.driver)  # type: ignore[arg-type]
            seen.append((run, await _contacts(env)))
        # The next full pass brings the facts only full passes read (MFA, sign-in) to every contact.
        seen.append((await run_sync(env, RunType.ALL_TENANTS, queue=env.driver), await _contacts(env)))  # type: ignore[arg-type]
    return seen


async def _contacts(env: BenchEnvironment) -> list[PsaContact]:
    clients = await env.psa.inner.list_clients()
    contacts = [c for client in clients for c in await env.psa.inner.list_contacts(client.id)]
    return sorted(contacts, key=lambda c: c.id)


def _delta_facts(contact: PsaContact) -> PsaContact:
    """The contact as a delta pass keeps it: MFA and last sign-in are read on full passes only."""
    facts = (contact.microsoft or MicrosoftFacts()).model_copy(
        update={"mfa_registered": None, "mfa_methods": None, "last_sign_in": None}
    )
    return contact.model_copy(update={"microsoft": None if facts == MicrosoftFacts() else facts})


@pytest.mark.parametrize("minimal", [False, True], ids=["whole-objects", "changed-properties-only"])
async def test_a_delta_pass_and_a_full_pass_over_the_same_changes_give_the_same_outcomes(
    northwind: Scenario, minimal: bool
) -> None:
    delta = await _play(northwind, incremental=True, minimal=minimal)
    full = await _play(northwind, incremental=False)

    for (delta_run, delta_contacts), (full_run, full_contacts) in zip(delta[:-1], full[:-1], strict=True):
        assert {t.pass_kind for t in delta_run.tenants} == {"delta"}
        assert {t.pass_kind for t in full_run.tenants} == {"full"}
        for tenant_id in (GREENLEAF, NORTHSTAR, PIONEER):
            changed = {u.user_id: (u.outcome, u.contact_id, u.reason) for u in tenant(delta_run, tenant_id).users}
            everyone = {u.user_id: (u.outcome, u.contact_id, u.reason) for u in tenant(full_run, tenant_id).users}
            assert changed == {user_id: everyone[user_id] for user_id in changed}
            assert {everyone[u][0] for u in everyone.keys() - changed} <= {Outcome.UNCHANGED, Outcome.IGNORED}
        assert delta_run.psa_writes == full_run.psa_writes
        assert [_delta_facts(c) for c in delta_contacts] == [_delta_facts(c) for c in full_contacts]
    assert delta[-1][1] == full[-1][1]  # after the next full pass: the very same contacts
    first = {u.user_id: u.outcome for t in delta[0][0].tenants for u in t.users}
    second = {u.user_id: u.outcome for t in delta[1][0].tenants for u in t.users}
    assert (first[PRIYA], first[DANA], first[SAM], first[NEW_USER]) == (
        Outcome.UPDATED,
        Outcome.INACTIVATED,
        Outcome.INACTIVATED,
        Outcome.CREATED,
    )
    assert (second[SAM], second[DANA], second[NEW_USER]) == (Outcome.REACTIVATED, Outcome.REACTIVATED, Outcome.UPDATED)
