"""The tenant worker on the real queue: idempotent, one worker per tenant, failures kept to their scope."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

import pytest

from shared.devtools.counting import CountingConnector
from shared.devtools.environment import SimulatedEnvironment
from shared.models import (
    Capabilities,
    ContactFields,
    Outcome,
    PsaContact,
    RunStatus,
    RunType,
    TenantResult,
    TenantStatus,
    Trigger,
)
from shared.models.queue import TenantMessage
from shared.psa.directory import TableDirectory
from shared.service.runs import record_tenant_result, start_run
from shared.service.sync_tenant import sync_tenant
from tests.integration.helpers import (
    DANA,
    GREENLEAF,
    NORTHSTAR,
    PIONEER,
    driver,
    map_northwind,
    run_sync,
)


@pytest.fixture
async def mapped(env: SimulatedEnvironment) -> SimulatedEnvironment:
    await map_northwind(env)
    return env


def _outcomes(run: Any, tenant_id: str) -> dict[str, Outcome]:
    tenant = next(t for t in run.tenants if t.tenant_id == tenant_id)
    return {u.user_id: u.outcome for u in tenant.users}


async def test_r7_6_a_second_sync_with_nothing_changed_writes_nothing(mapped: SimulatedEnvironment) -> None:
    await run_sync(mapped, RunType.INITIAL)
    writes = mapped.psa.writes

    again = await run_sync(mapped)

    assert mapped.psa.writes == writes
    assert again.psa_writes == 0
    assert {u.outcome for t in again.tenants for u in t.users} <= {Outcome.UNCHANGED, Outcome.IGNORED}


async def test_r7_4_dry_run_reports_the_real_outcomes_and_writes_only_its_run(mapped: SimulatedEnvironment) -> None:
    dry = await run_sync(mapped, RunType.INITIAL, dry_run=True)
    assert mapped.psa.writes == 0
    assert await mapped.app.links.for_tenant(GREENLEAF) == []
    assert await mapped.app.ambiguities.list() == []

    real = await run_sync(mapped, RunType.INITIAL)

    for tenant in (GREENLEAF, NORTHSTAR, PIONEER):
        assert _outcomes(dry, tenant) == _outcomes(real, tenant)
    assert dry.psa_writes == real.psa_writes == mapped.psa.writes


class CrashAfterCreates(CountingConnector):
    """Creates the contact, then dies before the worker can write its link (a killed worker)."""

    def __init__(self, inner: Any, crash_on: int) -> None:
        super().__init__(inner)
        self.creates = 0
        self.crash_on = crash_on
        self.crashes = 0

    @property
    def capabilities(self) -> Capabilities:
        # One call per contact, as a REST PSA takes them: a crash can then fall between two creates.
        return replace(self.inner.capabilities, bulk=False)

    async def create_contact(self, client_id: str, fields: ContactFields, *, entra_user_id: str) -> PsaContact:
        contact = await super().create_contact(client_id, fields, entra_user_id=entra_user_id)
        self.creates += 1
        if self.creates == self.crash_on:
            self.crashes += 1
            raise RuntimeError("worker killed between creating a contact and writing its link")
        return contact


async def test_a_worker_killed_after_a_create_never_duplicates_on_redelivery(mapped: SimulatedEnvironment) -> None:
    crashing = CrashAfterCreates(mapped.directory, crash_on=2)
    mapped.app.psa = crashing

    run = await run_sync(mapped, RunType.INITIAL)

    assert crashing.crashes == 1 and crashing.creates > crashing.crash_on  # it crashed once; the redelivery went on
    assert run.status is RunStatus.COMPLETED
    # The contact the crashed try created is counted `created` once, and its write once (issue 13).
    assert run.counts.created == crashing.creates and run.psa_writes == crashing.writes
    contacts = [
        c for client in await mapped.directory.list_clients() for c in await mapped.directory.list_contacts(client.id)
    ]
    by_user: dict[str, int] = {}
    for contact in contacts:
        if contact.entra_user_id:
            by_user[contact.entra_user_id] = by_user.get(contact.entra_user_id, 0) + 1
    assert by_user and max(by_user.values()) == 1
    links = [link for tid in (GREENLEAF, NORTHSTAR, PIONEER) for link in await mapped.app.links.for_tenant(tid)]
    assert len({link.contact_id for link in links}) == len(links)  # no contact linked twice
    assert len(links) == 9  # GreenLeaf 3 (Jordan is queued), Northstar 4, Pioneer 2: one link each


async def test_a_message_delivered_twice_is_processed_once(mapped: SimulatedEnvironment) -> None:
    run, _ = await start_run(mapped.app, RunType.TENANT, Trigger.MANUAL, tenant_id=PIONEER)
    message = TenantMessage(run_id=run.run_id, tenant_id=PIONEER)

    first = await sync_tenant(mapped.app, message)
    second = await sync_tenant(mapped.app, message)

    assert first is not None and first.counts.created == 2
    assert second is None
    assert mapped.psa.writes == 2


async def test_r7_5_a_tenant_held_by_another_worker_is_retried_later(mapped: SimulatedEnvironment) -> None:
    run, _ = await start_run(mapped.app, RunType.TENANT, Trigger.MANUAL, tenant_id=PIONEER)
    now = mapped.app.clock()
    from datetime import timedelta

    assert await mapped.app.leases.acquire(PIONEER, "someone-else", now, timedelta(minutes=5))

    result = await sync_tenant(mapped.app, TenantMessage(run_id=run.run_id, tenant_id=PIONEER))

    assert result is None
    assert mapped.psa.writes == 0
    pending = await mapped.app.runs.tenant_result(run.run_id, PIONEER)
    assert pending is not None and pending.status is TenantStatus.QUEUED


async def test_r3_5_a_create_the_psa_refuses_fails_that_user_only(mapped: SimulatedEnvironment) -> None:
    strict = TableDirectory(mapped.app.storage, unique_emails=True)
    await strict.put_contacts(
        [
            PsaContact(
                id="k-bb-9", client_id="c-bluebird", first_name="Maya", email="maya.abbott@greenleafdental.example"
            )
        ]
    )
    mapped.app.psa = CountingConnector(strict)

    run = await run_sync(mapped, RunType.INITIAL)

    greenleaf = next(t for t in run.tenants if t.tenant_id == GREENLEAF)
    maya = next(u for u in greenleaf.users if u.user_id == "e4b58502-f36d-56ba-9069-92e55c81c2bb")
    assert maya.outcome is Outcome.FAILED and "another client" in maya.reason
    assert greenleaf.status is TenantStatus.SUCCEEDED and greenleaf.counts.created == 1
    assert (await strict.get_contact("c-bluebird", "k-bb-9")) is not None  # the other client's contact untouched


async def test_a_tenant_failing_every_try_goes_to_poison_and_the_rest_completes(mapped: SimulatedEnvironment) -> None:
    mapped.simulator.fail(500, tenant=NORTHSTAR, path="/users", times=None)

    run = await run_sync(mapped, RunType.INITIAL)

    northstar = next(t for t in run.tenants if t.tenant_id == NORTHSTAR)
    assert run.status is RunStatus.PARTIAL
    assert (run.succeeded, run.failed) == (2, 1)
    assert northstar.status is TenantStatus.FAILED
    assert "gave up after 5 tries" in (northstar.error or "") and "500" in (northstar.error or "")


async def test_an_unconsented_tenant_fails_at_once_without_retries(env: SimulatedEnvironment) -> None:
    # Before discovery: a token already issued stays good until it expires, as in Entra.
    env.simulator.configure_tenant(PIONEER, consented=False)
    await map_northwind(env)
    queue = driver(env)

    run = await run_sync(env, RunType.INITIAL, queue=queue)

    pioneer = next(t for t in run.tenants if t.tenant_id == PIONEER)
    assert pioneer.status is TenantStatus.FAILED and "AADSTS700016" in (pioneer.error or "")
    assert queue.failures == 0


async def test_two_tenants_finishing_at_once_complete_the_run_exactly_once(mapped: SimulatedEnvironment) -> None:
    run, _ = await start_run(mapped.app, RunType.ALL_TENANTS, Trigger.MANUAL)
    writes: list[str] = []
    table = mapped.app.runs._runs
    original = table.update_entity

    async def spy(entity: Mapping[str, Any], **kwargs: Any) -> Any:
        result = await original(entity, **kwargs)
        writes.append(str(entity["status"]))
        return result

    table.update_entity = spy  # type: ignore[method-assign]
    done = [
        TenantResult(tenant_id=t, client_id="x", status=TenantStatus.SUCCEEDED) for t in (GREENLEAF, NORTHSTAR, PIONEER)
    ]

    await asyncio.gather(*(record_tenant_result(mapped.app, run.run_id, r, []) for r in done))

    final = await mapped.app.runs.require(run.run_id)
    assert final.status is RunStatus.COMPLETED and final.tenants_processed == 3
    assert writes.count("completed") == 1


async def test_r5_1_r5_3_disable_inactivates_and_enable_reactivates(mapped: SimulatedEnvironment) -> None:
    await run_sync(mapped, RunType.INITIAL)
    mapped.simulator.apply({"op": "disable", "tenantId": NORTHSTAR, "userId": DANA})

    disabled = await run_sync(mapped)
    mapped.simulator.apply({"op": "enable", "tenantId": NORTHSTAR, "userId": DANA})
    enabled = await run_sync(mapped)

    assert _outcomes(disabled, NORTHSTAR)[DANA] is Outcome.INACTIVATED
    assert _outcomes(enabled, NORTHSTAR)[DANA] is Outcome.REACTIVATED
