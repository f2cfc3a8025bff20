"""Properties of the planner over generated tenants (R3, R5, R7.3, R7.6), applied by the real
`apply_plan` (one by one and in bulk) to the in-memory fakes."""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from collections.abc import Iterable
from dataclasses import replace

from hypothesis import event, given, settings
from hypothesis import strategies as st

from shared.models import (
    Ambiguity,
    AmbiguityStatus,
    AssignedLicense,
    ContactLink,
    EntraUser,
    FieldControls,
    Outcome,
    PsaContact,
    SafetyBrake,
    SyncSettings,
    UserOutcome,
)
from shared.models.entra import Removed
from shared.service.apply import apply_plan
from shared.sync.facts import FactsInputs, MfaRegistration
from shared.sync.inputs import TenantInputs
from shared.sync.plan import TenantPlan, UserPlan
from shared.sync.planner import plan_tenant
from shared.sync.resolve import resolve_to_existing, resolved
from tests.conftest import NORTHWIND
from tests.unit.fakes import FakeAmbiguityStore, FakeLinkStore, MemoryPsa, fake, fake_app

TENANT, CLIENT = "t-1", "c-1"
LOCALS = ["ann", "bob", "cy", "ann", "bob", "cy", "svc-x"]
ADDRESSES = [f"{name}@x.example" for name in LOCALS] + ["ann@y.example", "bob@t1.onmicrosoft.com"]
address = st.sampled_from(ADDRESSES).flatmap(lambda a: st.sampled_from([a, a.upper(), a.title()]))
text = st.sampled_from(["", "Boss", "Clerk", " Clerk "])
SKUS = ["3b555118-da6a-4418-894f-7df1e2096870", "cbdc14ab-d96c-4c30-b9f4-6ada7cdc1d46", "other-sku"]


@st.composite
def users(draw: st.DrawFn) -> list[EntraUser]:
    ids = draw(st.lists(st.sampled_from([f"u{i}" for i in range(7)]), unique=True, max_size=7))
    return [
        EntraUser(
            id=user_id,
            display_name=draw(st.sampled_from(["", "Ann Lee", "Lee, Bob", "Cy"])),
            given_name=draw(st.sampled_from([None, "Ann"])),
            mail=draw(st.sampled_from([True, True, True, False]).flatmap(lambda m: address if m else st.none())),
            user_principal_name=draw(address),
            proxy_addresses=[
                f"{draw(st.sampled_from(['smtp', 'SMTP', 'x500']))}:{a}" for a in draw(st.lists(address, max_size=2))
            ],
            other_mails=draw(st.lists(address, max_size=2)),
            account_enabled=draw(st.sampled_from([True, True, True, False])),
            user_type=draw(st.sampled_from(["Member", None, "Member", "Member", "Guest"])),
            job_title=draw(text),
            business_phones=draw(st.lists(st.sampled_from(["+1 1", "+1 2", " "]), max_size=2)),
            mobile_phone=draw(st.sampled_from([None, "+1 9"])),
            assigned_licenses=[AssignedLicense(sku_id=s) for s in draw(st.lists(st.sampled_from(SKUS), max_size=2))],
            removed=Removed() if draw(st.integers(0, 9)) == 9 else None,
        )
        for user_id in ids
    ]


@st.composite
def contacts(draw: st.DrawFn) -> list[PsaContact]:
    ids = draw(st.lists(st.sampled_from([f"k{i}" for i in range(7)]), unique=True, max_size=7))
    return [
        PsaContact(
            id=contact_id,
            client_id=draw(st.sampled_from([CLIENT, CLIENT, CLIENT, "c-other"])),
            email=draw(address | st.just("")),
            additional_emails=draw(st.lists(address, max_size=2)),
            first_name=draw(st.sampled_from(["", "Ann"])),
            title=draw(text),
            phone=draw(st.sampled_from(["", "+1 1"])),
            active=draw(st.sampled_from([True, True, False])),
            entra_user_id=draw(st.sampled_from([None, None, None, "u1", "u9"])),
        )
        for contact_id in ids
    ]


@st.composite
def tenants(draw: st.DrawFn) -> TenantInputs:
    the_users, the_contacts = draw(users()), draw(contacts())
    user_ids = [u.id for u in the_users] + ["u8"]  # u8: a linked user Graph no longer lists
    contact_ids = [c.id for c in the_contacts] + ["k-gone"]
    pairs = draw(st.lists(st.tuples(st.sampled_from(user_ids), st.sampled_from(contact_ids)), max_size=5))
    links: dict[str, ContactLink] = {}
    for user_id, contact_id in pairs:
        if user_id not in links and contact_id not in {link.contact_id for link in links.values()}:
            links[user_id] = ContactLink(
                tenant_id=TENANT,
                user_id=user_id,
                contact_id=contact_id,
                client_id=CLIENT,
                inactivated_by_sync=draw(st.booleans()),
                user_deleted=draw(st.booleans()),
            )
    ambiguities = [
        Ambiguity(
            tenant_id=TENANT,
            user_id=user_id,
            candidate_contact_ids=draw(st.lists(st.sampled_from(contact_ids), max_size=2)),
            status=draw(st.sampled_from(list(AmbiguityStatus))),
            contact_id=draw(st.sampled_from([None, *contact_ids])),
        )
        for user_id in draw(st.lists(st.sampled_from(user_ids), unique=True, max_size=3))
    ]
    controls = FieldControls(**{name: draw(st.booleans()) for name in FieldControls.model_fields})
    facts = draw(
        st.none()
        | st.builds(
            FactsInputs,
            sku_part_numbers=st.just({SKUS[1]: "SPB"}),
            entra_p1=st.booleans(),
            mfa=st.none() | st.just({"u1": MfaRegistration(id="u1", is_mfa_registered=True)}),
            sign_in_read=st.booleans(),
        )
    )
    return TenantInputs(
        tenant_id=TENANT,
        client_id=CLIENT,
        users=the_users,
        complete=draw(st.booleans()),
        contacts=the_contacts,
        links=list(links.values()),
        ambiguities=ambiguities,
        settings=SyncSettings(
            field_controls=controls,
            safety_brake=SafetyBrake(min_contacts=draw(st.integers(0, 2)), percent=20),
        ),
        facts=facts,
        brake_released=draw(st.booleans()),
    )


class Memory:
    """The PSA, the link table and the ambiguity table after the real `apply_plan` applied plans to
    them (in-memory fakes), as the tenant worker does; one by one or in bulk."""

    def __init__(
        self,
        contacts: Iterable[PsaContact],
        links: Iterable[ContactLink] = (),
        ambiguities: Iterable[Ambiguity] = (),
        *,
        bulk: bool = False,
    ) -> None:
        self.psa = MemoryPsa(bulk=bulk, contacts=contacts)
        self.link_store = FakeLinkStore(links)
        self.app = fake_app(psa=self.psa, links=self.link_store, ambiguities=FakeAmbiguityStore(ambiguities))
        self.outcomes: list[UserOutcome] = []

    @classmethod
    def of(cls, inputs: TenantInputs, *, bulk: bool = False) -> Memory:
        return cls(inputs.contacts, inputs.links, inputs.ambiguities, bulk=bulk)

    @property
    def contacts(self) -> dict[str, PsaContact]:
        return self.psa.contacts

    @property
    def links(self) -> dict[str, ContactLink]:
        return {user_id: link for (_, user_id), link in self.link_store.rows.items()}

    @property
    def ambiguities(self) -> dict[str, Ambiguity]:
        return {user_id: a for (_, user_id), a in fake(self.app.ambiguities, FakeAmbiguityStore).rows.items()}

    def apply(self, plan: TenantPlan) -> None:
        self.outcomes = asyncio.run(apply_plan(self.app, plan)).outcomes

    def inputs(self, before: TenantInputs) -> TenantInputs:
        return replace(
            before,
            contacts=list(self.contacts.values()),
            links=list(self.links.values()),
            ambiguities=list(self.ambiguities.values()),
        )


def live_links(memory: Memory) -> list[ContactLink]:
    client = {k for k, c in memory.contacts.items() if c.client_id == CLIENT}
    return [link for link in memory.links.values() if link.contact_id in client]


@settings(max_examples=200, deadline=None)
@given(tenants())
def test_r7_3_one_outcome_per_user_and_only_the_clients_contacts(inputs: TenantInputs) -> None:
    plan = plan_tenant(inputs)
    planned = [u.user_id for u in plan.users]
    assert len(planned) == len(set(planned))
    assert {u.id for u in inputs.users} <= set(planned)
    others = {c.id for c in inputs.contacts if c.client_id != CLIENT}
    touched = {u.contact_id for u in plan.users} | {k for u in plan.users for k in u.queue or ()}
    assert not touched & others  # R3.5: another client's contact is never touched
    for user in plan.users:
        assert user.create is None or user.link_to is None
        assert (user.outcome is Outcome.QUEUED) == (user.queue is not None)
        if user.outcome in (Outcome.IGNORED, Outcome.QUEUED):
            assert user.writes == 0 and user.link is None  # nothing written for them
        if user.outcome is Outcome.UNCHANGED:
            assert not user.changes and user.set_active is None and user.create is None


@settings(max_examples=250, deadline=None)
@given(tenants(), st.booleans())
def test_r3_2_r5_r7_6_apply_keeps_links_one_to_one_deletes_nothing_and_a_second_plan_does_nothing(
    inputs: TenantInputs, bulk: bool
) -> None:
    assert not [name for name in UserPlan.model_fields if "delete" in name or "remove" in name]
    memory = Memory.of(inputs, bulk=bulk)
    before = set(memory.contacts)
    first = plan_tenant(inputs)
    memory.apply(first)
    assert [o.outcome for o in memory.outcomes] == [u.outcome for u in first.users]  # the PSA took it all
    assert before <= set(memory.contacts)  # R5: nothing is ever deleted
    contacts_per_link = Counter(link.contact_id for link in live_links(memory))
    assert set(contacts_per_link.values()) <= {1}  # R3.2: no contact linked to two users
    assert all(user_id == link.user_id for user_id, link in memory.links.items())  # one contact per user

    again = plan_tenant(memory.inputs(inputs))  # R7.6: nothing changed in Entra
    assert {u.outcome for u in again.users} <= {Outcome.UNCHANGED, Outcome.IGNORED}, again.users
    assert again.writes == 0
    assert again.ambiguities == []
    assert all(u.link is None and u.facts is None for u in again.users)
    assert again.held == first.held


@settings(max_examples=100, deadline=None)
@given(tenants(), st.sets(st.sampled_from(ADDRESSES), max_size=2), st.sets(st.sampled_from(ADDRESSES), max_size=2))
def test_r7_3_bulk_and_one_by_one_apply_a_plan_alike(
    inputs: TenantInputs, refused: set[str], no_facts: set[str]
) -> None:
    plan = plan_tenant(inputs)
    one, many = Memory.of(inputs), Memory.of(inputs, bulk=True)
    for memory in (one, many):  # R3.5, R4.4: the PSA refuses some contacts, or only their facts
        for email in refused:
            memory.psa.refuse(email)
        for email in no_facts:
            memory.psa.refuse_facts(email)

    one.apply(plan)
    many.apply(plan)

    assert one.outcomes == many.outcomes
    assert (one.contacts, one.links, one.ambiguities) == (many.contacts, many.links, many.ambiguities)
    assert one.psa.done == many.psa.done
    assert one.psa.faults_fired == many.psa.faults_fired
    event(f"refusals fired: {sum(one.psa.faults_fired.values()) > 0}")


@settings(max_examples=50, deadline=None)
@given(tenants())
def test_r7_3_same_input_same_plan(inputs: TenantInputs) -> None:
    assert plan_tenant(inputs) == plan_tenant(replace(inputs, users=list(reversed(inputs.users))))


# The northwind scenario's steps, applied in memory: initial sync, a resolution, an update and a
# disable, a re-enable, then a run with nothing changed in Entra (R7.6).

NORTHWIND_SCENARIO = json.loads(NORTHWIND.read_text())
CLIENTS = {"d4db95b7-337d-540d-8a9f-13b6f9b2058a": "c-greenleaf", "d45acb64-8bba-5d09-932e-361164bfb6b2": "c-northstar"}
JORDAN, PRIYA, DANA = (
    "c6bf3e50-7be5-5be0-8e91-d6bbad13b4d0",
    "4f1ef08e-3883-5b5a-9263-1360474847ee",
    "99e1a9b4-8743-516b-913c-0d458e0871b1",
)


class Northwind:
    def __init__(self) -> None:
        self.tenants = {t["tenantId"]: t for t in NORTHWIND_SCENARIO["tenants"] if t["tenantId"] in CLIENTS}
        self.graph = {tid: {u["id"]: dict(u) for u in t["users"]} for tid, t in self.tenants.items()}
        contacts = [PsaContact.model_validate(c) for c in NORTHWIND_SCENARIO["psa"]["contacts"]]
        self.memory = {tid: Memory(c for c in contacts if c.client_id == client) for tid, client in CLIENTS.items()}

    def inputs(self, tenant_id: str) -> TenantInputs:
        tenant, memory = self.tenants[tenant_id], self.memory[tenant_id]
        return TenantInputs(
            tenant_id=tenant_id,
            client_id=CLIENTS[tenant_id],
            users=[EntraUser.model_validate(u) for u in self.graph[tenant_id].values()],
            complete=True,
            contacts=list(memory.contacts.values()),
            links=list(memory.links.values()),
            ambiguities=list(memory.ambiguities.values()),
            facts=FactsInputs(
                sku_part_numbers={s["skuId"]: s["skuPartNumber"] for s in tenant["subscribedSkus"]},
                entra_p1=tenant["premium"],
                mfa={r["id"]: MfaRegistration.model_validate(r) for r in tenant["userRegistrationDetails"]},
            ),
        )

    def sync(self) -> dict[str, dict[str, Outcome]]:
        outcomes = {}
        for tenant_id in CLIENTS:
            plan = plan_tenant(self.inputs(tenant_id))
            self.memory[tenant_id].apply(plan)
            outcomes[tenant_id] = {u.user_id: u.outcome for u in plan.users if u.outcome is not Outcome.IGNORED}
        return outcomes


def test_r7_6_northwind_steps_end_with_nothing_to_do() -> None:
    world = Northwind()
    greenleaf, northstar = CLIENTS
    first = world.sync()
    assert Counter(first[greenleaf].values()) == {Outcome.CREATED: 2, Outcome.LINKED: 1, Outcome.QUEUED: 1}
    assert Counter(first[northstar].values()) == {Outcome.CREATED: 3, Outcome.LINKED: 1}

    # R6.2: a person resolves Jordan Lee to k-gl-1.
    memory = world.memory[greenleaf]
    jordan = EntraUser.model_validate(world.graph[greenleaf][JORDAN])
    chosen = resolve_to_existing(
        jordan, memory.contacts["k-gl-1"], tenant_id=greenleaf, client_id="c-greenleaf", controls=FieldControls()
    )
    assert chosen.changes == {"phone": "+1 555 0101"}
    row = resolved(memory.ambiguities[JORDAN], chosen, by="operator")
    memory.apply(TenantPlan(tenant_id=greenleaf, client_id="c-greenleaf", users=[chosen], ambiguities=[row]))

    world.graph[greenleaf][PRIYA] |= {"mobilePhone": "+1 555 0112", "jobTitle": "Lead Hygienist"}
    world.graph[northstar][DANA]["accountEnabled"] = False
    second = world.sync()
    assert {u: o for u, o in second[greenleaf].items() if o is not Outcome.UNCHANGED} == {PRIYA: Outcome.UPDATED}
    assert {u: o for u, o in second[northstar].items() if o is not Outcome.UNCHANGED} == {DANA: Outcome.INACTIVATED}
    assert memory.contacts[memory.links[PRIYA].contact_id].title == "Lead Hygienist"

    world.graph[northstar][DANA]["accountEnabled"] = True
    third = world.sync()
    assert {u: o for u, o in third[northstar].items() if o is not Outcome.UNCHANGED} == {DANA: Outcome.REACTIVATED}

    last = [plan_tenant(world.inputs(tenant_id)) for tenant_id in CLIENTS]
    assert {u.outcome for plan in last for u in plan.users} == {Outcome.UNCHANGED, Outcome.IGNORED}
    assert sum(plan.writes for plan in last) == 0
