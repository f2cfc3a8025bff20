"""One contract, every PSA: the built-in directory, Syncro and Alga PSA (each against its API fake over real
HTTP, each request checked against the vendor's spec) take the same northwind scenario through the real
queue and handlers, and keep the same rules (R3, R4, R5, R7, R8). Where a PSA cannot hold something the
test says what it holds instead, from the connector's capabilities."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from typing import Any

import pytest

from shared.devtools.counting import CountingConnector
from shared.devtools.psa_bench_figures import HOLDS_A_CONTACT
from shared.devtools.psa_fakes import SyncroFake
from shared.devtools.psa_load import is_write
from shared.devtools.simulator import Scenario
from shared.errors import PsaError
from shared.models import CONTACT_FIELDS, ContactFields, Outcome, PsaContact, RunStatus, RunType, TenantStatus
from shared.psa.port import ContactChange, NewContact
from shared.psa.syncro import INACTIVE_PROPERTY
from tests.integration.helpers import DANA, GREENLEAF, NORTHSTAR, PIONEER, PRIYA, SAM, run_sync
from tests.integration.psa_world import PSAS, PsaWorld, duplicates, outcome, partial_update, psa_world

pytestmark = pytest.mark.integration

MAYA = "e4b58502-f36d-56ba-9069-92e55c81c2bb"
BUSINESS_BASIC = "3b555118-da6a-4418-894f-7df1e2096870"
# What a PSA's partial update of one changed title carries (R8.6): the title's own key, and for Syncro the
# `name` its PUT requires on every call.
TITLE_UPDATE_KEYS = {
    "syncro": {"name", "title"},
    "alga": {"role"},
    "halopsa": {"title"},
    "connectwise": {"title"},
    "autotask": {"title"},
}


@pytest.fixture(params=PSAS)
async def world(request: pytest.FixtureRequest, northwind: Scenario) -> AsyncIterator[PsaWorld]:
    async with psa_world(northwind, request.param) as psa:
        yield psa


def entra_user(scenario: Scenario, tenant_id: str, user_id: str) -> dict[str, Any]:
    return next(u for u in scenario.tenant(tenant_id).users if u["id"] == user_id)


async def contact_of(world: PsaWorld, run: Any, tenant_id: str, user_id: str) -> PsaContact:
    psa_id = outcome(run, tenant_id, user_id).contact_id
    assert psa_id is not None
    return (await world.held()).contact(world.env.ids.scenario("contact", psa_id))


async def test_r3_3_r4_1_r8_1_a_user_without_a_contact_gets_one_with_every_field_the_psa_holds(
    world: PsaWorld, northwind: Scenario
) -> None:
    before = len((await world.held()).contacts)

    run = await world.sync(RunType.INITIAL)

    assert outcome(run, GREENLEAF, PRIYA).outcome is Outcome.CREATED
    assert run.counts.created == 7 and run.counts.failed == 0
    held = await world.held()
    assert len(held.contacts) == before + 7
    priya = await contact_of(world, run, GREENLEAF, PRIYA)
    user = entra_user(northwind, GREENLEAF, PRIYA)
    entra = {
        "first_name": user["givenName"],
        "last_name": user["surname"],
        "email": user["mail"],
        "title": user["jobTitle"],
        "department": user["department"],
        "phone": (user.get("businessPhones") or [""])[0],
        "mobile": user.get("mobilePhone") or "",
    }
    kept = world.env.connector.capabilities.fields
    assert {name: getattr(priya, name) for name in entra} == {
        name: value if name in kept else "" for name, value in entra.items()
    }
    assert priya.client_id == "c-greenleaf" and priya.active
    # What the report shows as null is exactly what the connector says the PSA cannot hold.
    assert {name for name in CONTACT_FIELDS if name in held.unheld} == set(CONTACT_FIELDS) - kept


async def test_r3_2_r3_3_r4_2_one_address_match_is_linked_and_its_fields_brought_in_step(world: PsaWorld) -> None:
    run = await world.sync(RunType.INITIAL)

    sam = outcome(run, GREENLEAF, SAM)
    assert sam.outcome is Outcome.LINKED and sam.contact_id == world.psa_id("contact", "k-gl-3")
    contact = (await world.held()).contact("k-gl-3")
    assert (contact.phone, contact.title, contact.mobile) == ("+1 555 0199", "Dentist", "+1 555 0188")
    assert contact.email == "Sam.Rivera@GreenLeafDental.example"  # email control off: the PSA's stays (R4.2)
    links = await world.env.app.links.for_tenant(GREENLEAF)
    assert [link.contact_id for link in links if link.user_id == SAM] == [world.psa_id("contact", "k-gl-3")]


class ChangeSpy(CountingConnector):
    """The changes the sync hands the connector (the directory's writes have no wire to read)."""

    def __init__(self, inner: Any) -> None:
        super().__init__(inner)
        self.changes: list[dict[str, str]] = []

    async def update_contact(self, client_id: str, contact_id: str, changes: Mapping[str, str]) -> None:
        self.changes.append(dict(changes))
        await super().update_contact(client_id, contact_id, changes)

    async def change_contacts(self, client_id: str, changes: Sequence[ContactChange]) -> list[PsaError | None]:
        self.changes += [dict(c.changes) for c in changes if c.changes]
        return await super().change_contacts(client_id, changes)


async def test_r4_2_r8_6_an_update_sends_only_the_changed_field_and_r7_6_then_nothing(world: PsaWorld) -> None:
    first = await world.sync(RunType.INITIAL)
    priya_id = (await contact_of(world, first, GREENLEAF, PRIYA)).id
    await world.person_sets_email(priya_id, "p.patel@greenleafdental.example")  # in the PSA, by a person
    world.env.simulator.apply(
        {"op": "update", "tenantId": GREENLEAF, "userId": PRIYA, "set": {"jobTitle": "Lead Hygienist"}}
    )
    spy = ChangeSpy(world.env.connector)
    world.env.app.psa = spy
    fake = world.env.fake
    seen = len(fake.requests) if fake is not None else 0

    run = await world.sync()

    assert outcome(run, GREENLEAF, PRIYA).outcome is Outcome.UPDATED
    assert run.counts.updated == 1 and run.psa_writes == 1
    priya = (await world.held()).contact(priya_id)
    assert priya.title == "Lead Hygienist"
    assert priya.email == "p.patel@greenleafdental.example"  # not sent, so not overwritten (email control off)
    if fake is None:
        assert spy.changes == [{"title": "Lead Hygienist"}]
    else:
        writes = [r for r in fake.requests[seen:] if is_write(r)]
        updates = [partial_update(world.name, r) for r in writes]
        assert updates == [(world.psa_id("contact", priya_id), TITLE_UPDATE_KEYS[world.name])]
    tally = world.tally()

    again = await world.sync()

    assert again.psa_writes == 0 and (world.tally() - tally).writes == 0
    assert {u.outcome for t in again.tenants for u in t.users} <= {Outcome.UNCHANGED, Outcome.IGNORED}


async def test_r5_1_r5_3_r8_3_disable_inactivates_by_the_psas_flag_or_mark_and_enable_reactivates(
    world: PsaWorld,
) -> None:
    first = await world.sync(RunType.INITIAL)
    dana = await contact_of(world, first, NORTHSTAR, DANA)

    world.env.simulator.apply({"op": "disable", "tenantId": NORTHSTAR, "userId": DANA})
    disabled = await world.sync()
    inactive = (await world.held()).contact(dana.id)
    world.env.simulator.apply({"op": "enable", "tenantId": NORTHSTAR, "userId": DANA})
    enabled = await world.sync()
    active = (await world.held()).contact(dana.id)

    assert outcome(disabled, NORTHSTAR, DANA).outcome is Outcome.INACTIVATED
    assert outcome(enabled, NORTHSTAR, DANA).outcome is Outcome.REACTIVATED
    assert not inactive.active and active.active and active.inactive_reason is None
    if "inactive_reason" not in (await world.held()).unheld:
        assert inactive.inactive_reason == "disabled-in-microsoft"
    for contact in (inactive, active):  # never deleted, renamed or emptied to say it (R5, R8.3)
        assert (contact.first_name, contact.last_name, contact.email) == (dana.first_name, dana.last_name, dana.email)
    if isinstance(world.env.fake, SyncroFake):  # no flag: the documented mark, set then removed
        record = next(r for r in world.env.fake.contacts() if str(r["id"]) == world.psa_id("contact", dana.id))
        assert record["properties"][INACTIVE_PROPERTY] == ""
        assert not world.env.connector.capabilities.inactive_flag


async def test_r4_4_r8_4_facts_are_kept_where_the_psa_keeps_them_and_never_count_as_updates(
    world: PsaWorld,
) -> None:
    caps = world.env.connector.capabilities
    first = await world.sync(RunType.INITIAL)
    priya = await contact_of(world, first, GREENLEAF, PRIYA)
    greenleaf = next(c for c in (await world.held()).clients if c.id == "c-greenleaf")
    assert greenleaf.microsoft is not None and caps.client_facts
    assert (greenleaf.microsoft.secure_score, greenleaf.microsoft.licensed_users) == (41.5, 4)
    if caps.contact_facts:
        assert priya.microsoft is not None
        assert (priya.microsoft.license, priya.microsoft.mfa_registered) == ("Microsoft 365 Business Premium", True)
    else:
        assert priya.microsoft is None  # Alga has no place for them: none planned, none written

    licences = [{"skuId": BUSINESS_BASIC, "disabledPlans": []}]
    world.env.simulator.apply(
        {"op": "update", "tenantId": GREENLEAF, "userId": PRIYA, "set": {"assignedLicenses": licences}}
    )
    tally, fact_writes = world.tally(), world.env.psa.fact_writes
    run = await world.sync()

    assert outcome(run, GREENLEAF, PRIYA).outcome is Outcome.UNCHANGED and run.counts.updated == 0
    now = (await world.held()).contact(priya.id)
    if caps.contact_facts:
        assert now.microsoft is not None and now.microsoft.license == "Microsoft 365 Business Basic"
    if world.env.fake is not None:  # one write where the PSA keeps the facts, none where it cannot
        assert (world.tally() - tally).writes == int(caps.contact_facts)
    else:
        assert world.env.psa.fact_writes - fact_writes == 1 and (world.tally() - tally).writes == 0


async def test_r3_5_a_create_the_psa_refuses_fails_that_user_only(world: PsaWorld) -> None:
    fault = await world.refuse_next_create("maya.abbott@greenleafdental.example")

    run = await world.sync(RunType.INITIAL)

    failed = [(t.tenant_id, u) for t in run.tenants for u in t.users if u.outcome is Outcome.FAILED]
    assert len(failed) == 1
    tenant_id, user = failed[0]
    if fault is not None:
        assert fault.hits == 1 and str(fault.status) in user.reason  # the vendor's answer, in its words
    else:
        assert user.user_id == MAYA
        held = await world.held()
        others = [c for c in held.contacts if c.email == "maya.abbott@greenleafdental.example"]
        assert [c.client_id for c in others] == ["c-bluebird"]  # the other client's contact untouched
    assert next(t for t in run.tenants if t.tenant_id == tenant_id).status is TenantStatus.SUCCEEDED
    assert run.status is RunStatus.COMPLETED and run.counts.created == 6
    links = await world.env.app.links.for_tenant(tenant_id)
    assert user.user_id not in {link.user_id for link in links}  # tried again next time


async def test_r8_7_a_throttle_is_waited_out_and_fails_no_user(world: PsaWorld) -> None:
    faults = [world.throttle(2, retry_after=1), world.throttle(1, retry_after=None)]
    queue = world.queue()

    run = await run_sync(world.env, RunType.INITIAL, queue=queue)

    fired = {id(f): f for f in faults}.values()
    assert sum(f.hits for f in fired) == 3  # every throttle was met
    assert run.status is RunStatus.COMPLETED and run.counts.failed == 0 and run.counts.created == 7
    assert queue.failures == 0  # waited out within the attempt, not a retry of the tenant
    if world.env.fake is not None:
        assert world.tally().throttled == 3


async def test_r8_7_an_outage_fails_the_attempt_and_the_host_retries_it_without_duplicates(world: PsaWorld) -> None:
    # Two of Pioneer's attempts fail: a vendor's create answered 500 (never repeated: it may have been
    # taken), or the directory's storage unreachable past the SDK's four tries of one request.
    fault = world.outage(2 if world.env.fake is not None else 8)
    queue = world.queue()

    run = await run_sync(world.env, RunType.TENANT, tenant_id=PIONEER, queue=queue)

    assert fault.hits == (2 if world.env.fake is not None else 8)
    assert queue.failures == 2  # the host retried the tenant twice
    assert run.status is RunStatus.COMPLETED and run.counts.failed == 0 and run.counts.created == 2
    held = await world.held()
    assert len(held.of_client("c-pioneer")) == 2 and duplicates(held) == []


class WorkerKilled(RuntimeError):
    """The worker dies: nothing after this in the attempt runs (its links are not written)."""


class KilledAfterACreate(CountingConnector):
    """Creates the first contact of the first create call, then the worker is killed before it can
    write that contact's link; every other call goes through (tenants run at once: the kill is taken
    before the create is awaited, so only one attempt dies)."""

    def __init__(self, inner: Any) -> None:
        super().__init__(inner)
        self.armed = True
        self.kills = 0
        self.made: list[PsaContact] = []

    async def create_contacts(self, client_id: str, new: Sequence[NewContact]) -> list[PsaContact | PsaError]:
        if not self.armed:
            return await super().create_contacts(client_id, new)
        self.armed = False
        results = await super().create_contacts(client_id, new[:1])
        raise self._killed(results[0])

    async def create_contact(self, client_id: str, fields: ContactFields, *, entra_user_id: str) -> PsaContact:
        armed, self.armed = self.armed, False
        contact = await super().create_contact(client_id, fields, entra_user_id=entra_user_id)
        if armed:
            raise self._killed(contact)
        return contact

    def _killed(self, made: PsaContact | PsaError) -> WorkerKilled:
        assert isinstance(made, PsaContact), made
        self.made.append(made)
        self.kills += 1
        return WorkerKilled("killed between creating a contact and writing its link")


async def test_r8_5_r3_a_worker_killed_between_a_create_and_its_link_makes_no_duplicate_on_redelivery(
    world: PsaWorld,
) -> None:
    killer = KilledAfterACreate(world.env.connector)
    world.env.app.psa = killer
    queue = world.queue()

    run = await run_sync(world.env, RunType.INITIAL, queue=queue)

    assert killer.kills == 1 and len(killer.made) == 1 and queue.failures == 1  # the kill fired, once
    assert run.status is RunStatus.COMPLETED and run.counts.failed == 0
    held = await world.held()
    made = world.env.ids.scenario("contact", killer.made[0].id)
    assert made in {c.id for c in held.contacts}  # the contact made before the kill is the one kept
    assert duplicates(held) == []
    links = [link for t in (GREENLEAF, NORTHSTAR, PIONEER) for link in await world.env.app.links.for_tenant(t)]
    synced = [u for t in run.tenants for u in t.users if u.outcome in HOLDS_A_CONTACT]
    assert len({link.contact_id for link in links}) == len(links) == len(synced)  # one contact per user
    assert world.psa_id("contact", made) in {link.contact_id for link in links}
