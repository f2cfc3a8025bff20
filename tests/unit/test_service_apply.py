"""apply_plan, bulk and one by one, on the real planner's plans (R3.5, R4.4, R5, R7.6, R8.7): the same
outcomes, PSA writes and links either way; refusals fail one user; an unavailable PSA fails none."""

from __future__ import annotations

from collections import Counter

import pytest

from shared.devtools.counting import CountingConnector
from shared.errors import PsaError, PsaUnavailable
from shared.models import Ambiguity, ContactLink, InactiveReason, Outcome, PsaContact
from shared.service.app import App
from shared.service.apply import FACTS_NOT_WRITTEN, Applied, apply_plan, apply_user
from tests.unit.fakes import FakeLinkStore, MemoryPsa, fake_app
from tests.unit.fakes.builders import CLIENT, TENANT, contact, entra_user, plan_for

BOTH = pytest.mark.parametrize("bulk", [False, True], ids=["one-by-one", "bulk"])


def _link(user_id: str, contact_id: str, **values: object) -> ContactLink:
    return ContactLink.model_validate(
        {"tenant_id": TENANT, "user_id": user_id, "contact_id": contact_id, "client_id": CLIENT, **values}
    )


USERS = [
    entra_user("u-ann", "ann.lee", job_title="Lead Hygienist"),  # linked, a field changed: updated
    entra_user("u-bob", "bob.ray", mobile_phone="+1 555 0102"),  # one contact with the email: linked
    entra_user("u-cy", "cy.ng"),  # no contact: created
    entra_user("u-dana", "dana.fox", account_enabled=False),  # linked, disabled: inactivated (R5.1)
    entra_user("u-eve", "eve.hart"),  # re-enabled, the sync had inactivated her contact: reactivated (R5.3)
    entra_user("u-fay", "fay.lo"),  # created
    entra_user("u-gil", "gil.mo"),  # the PSA refuses the create (its email is another client's): failed
]


def world(bulk: bool) -> tuple[App, MemoryPsa]:
    psa = MemoryPsa(
        bulk=bulk,
        contacts=[
            contact("k-ann", "ann.lee"),
            contact("k-bob", "bob.ray"),
            contact("k-dana", "dana.fox"),
            contact("k-eve", "eve.hart", active=False, inactive_reason=InactiveReason.DISABLED.value),
            contact("k-other", "gil.mo", client_id="c-other"),
        ],
    )
    psa.refuse("gil.mo@contoso.example")
    links = FakeLinkStore(
        [
            _link("u-ann", "k-ann"),
            _link("u-dana", "k-dana"),
            _link("u-eve", "k-eve", inactivated_by_sync=True, inactive_reason=InactiveReason.DISABLED),
        ]
    )
    return fake_app(psa=psa, links=links), psa


async def _apply(app: App) -> Applied:
    return await apply_plan(app, await plan_for(app, USERS))


async def _state(app: App, psa: MemoryPsa) -> tuple[list[ContactLink], list[PsaContact]]:
    return await app.links.for_tenant(TENANT), psa.of_client(CLIENT)


@BOTH
async def test_r7_3_each_user_gets_the_planned_outcome_and_the_psa_holds_it(bulk: bool) -> None:
    app, psa = world(bulk)

    applied = await _apply(app)

    outcomes = {o.user_id: o.outcome for o in applied.outcomes}
    assert outcomes == {
        "u-ann": Outcome.UPDATED,
        "u-bob": Outcome.LINKED,
        "u-cy": Outcome.CREATED,
        "u-dana": Outcome.INACTIVATED,
        "u-eve": Outcome.REACTIVATED,
        "u-fay": Outcome.CREATED,
        "u-gil": Outcome.FAILED,
    }
    contacts = {c.email: c for c in psa.of_client(CLIENT)}
    assert contacts["ann.lee@contoso.example"].title == "Lead Hygienist"
    assert contacts["bob.ray@contoso.example"].mobile == "+1 555 0102"
    assert not contacts["dana.fox@contoso.example"].active
    assert contacts["eve.hart@contoso.example"].active
    assert contacts["cy.ng@contoso.example"].entra_user_id == "u-cy"
    # creates 2, updates 2 (Ann's title, Bob's mobile), activations 2 (Dana, Eve)
    assert applied.psa_writes == psa.writes == 6
    assert bulk == (psa.calls["create_contacts"] > 0) and bulk != (psa.calls["create_contact"] > 0)


async def test_r7_3_bulk_and_one_by_one_give_the_same_outcomes_writes_links_and_contacts() -> None:
    (one, one_psa), (many, many_psa) = world(False), world(True)

    applied_one, applied_many = await _apply(one), await _apply(many)

    assert applied_one == applied_many
    assert await _state(one, one_psa) == await _state(many, many_psa)
    assert one_psa.done == many_psa.done  # facts included
    assert sum(one_psa.calls[m] for m in ("create_contacts", "change_contacts")) == 0
    assert many_psa.calls["create_contacts"] == 1 and many_psa.calls["change_contacts"] == 1
    assert sum(many_psa.calls[m] for m in ("create_contact", "update_contact", "set_contact_active")) == 0


@BOTH
async def test_r3_5_a_refused_create_fails_that_user_with_the_psas_message_and_writes_no_link(bulk: bool) -> None:
    app, psa = world(bulk)

    applied = await _apply(app)

    gil = next(o for o in applied.outcomes if o.user_id == "u-gil")
    assert gil.outcome is Outcome.FAILED
    refusal = "a contact with email gil.mo@contoso.example already exists under another client"
    assert gil.reason == f"the PSA refused: {refusal}"
    assert gil.contact_id is None
    assert psa.faults_fired["refused create"] == 1
    assert await app.links.get(TENANT, "u-gil") is None
    assert psa.contacts["k-other"].client_id == "c-other"  # the other client's contact untouched


@BOTH
async def test_r3_5_a_bare_psa_error_from_an_older_adapter_is_a_refusal(bulk: bool) -> None:
    app, psa = world(bulk)
    psa.refusal = PsaError

    applied = await _apply(app)

    assert Counter(o.outcome for o in applied.outcomes)[Outcome.FAILED] == 1
    assert psa.faults_fired["refused create"] == 1


@BOTH
async def test_r3_5_a_refused_reactivation_keeps_the_link_as_it_was_so_the_next_pass_tries_again(bulk: bool) -> None:
    app, psa = world(bulk)
    psa.refuse("eve.hart@contoso.example", "contact is locked")

    first = await _apply(app)

    eve = next(o for o in first.outcomes if o.user_id == "u-eve")
    assert (eve.outcome, eve.reason, eve.contact_id) == (Outcome.FAILED, "the PSA refused: contact is locked", "k-eve")
    assert psa.faults_fired["refused activate"] == 1
    link = await app.links.get(TENANT, "u-eve")
    assert link is not None and link.inactivated_by_sync  # not the planned row: that would say "done"
    psa._refused.clear()

    again = await plan_for(app, USERS)

    assert next(u for u in again.users if u.user_id == "u-eve").outcome is Outcome.REACTIVATED


@BOTH
async def test_r4_4_refused_facts_leave_created_and_updated_users_as_they_are_with_a_note(bulk: bool) -> None:
    app, psa = world(bulk)
    psa.refuse_facts("cy.ng@contoso.example")  # created
    psa.refuse_facts("ann.lee@contoso.example")  # updated

    applied = await _apply(app)

    outcomes = {o.user_id: o for o in applied.outcomes}
    for user_id, outcome in (("u-cy", Outcome.CREATED), ("u-ann", Outcome.UPDATED)):
        assert outcomes[user_id].outcome is outcome
        assert outcomes[user_id].reason.endswith(FACTS_NOT_WRITTEN)
        assert await app.links.get(TENANT, user_id) is not None
    assert psa.faults_fired["refused facts"] == 2
    assert FACTS_NOT_WRITTEN not in outcomes["u-fay"].reason
    cy = next(c for c in psa.of_client(CLIENT) if c.entra_user_id == "u-cy")
    assert cy.microsoft is None
    psa._refused_facts.clear()

    # The facts still differ: the next pass writes them, and nothing else about the two changes.
    again = await plan_for(app, USERS)
    planned = {u.user_id: u for u in again.users}
    assert planned["u-cy"].facts is not None and planned["u-ann"].facts is not None
    assert planned["u-cy"].outcome is planned["u-ann"].outcome is Outcome.UNCHANGED
    await apply_plan(app, again)
    assert next(c for c in psa.of_client(CLIENT) if c.entra_user_id == "u-cy").microsoft is not None


async def test_r8_7_psa_unavailable_on_the_third_create_propagates_after_the_two_created_are_linked() -> None:
    users = [entra_user(f"u-{i}", f"new.user{i}") for i in range(5)]
    psa = MemoryPsa()
    app = fake_app(psa=psa)
    psa.unavailable_on("create", 3)

    with pytest.raises(PsaUnavailable):
        await apply_plan(app, await plan_for(app, users))

    assert psa.faults_fired["unavailable create"] == 1
    links = await app.links.for_tenant(TENANT)
    assert sorted(link.user_id for link in links) == ["u-0", "u-1"]
    assert {link.contact_id for link in links} == {c.id for c in psa.of_client(CLIENT)}

    # The host redelivers: the same tenant pass again creates the other three, and no duplicate.
    applied = await apply_plan(app, await plan_for(app, users))

    assert Counter(o.outcome for o in applied.outcomes) == {Outcome.UNCHANGED: 2, Outcome.CREATED: 3}
    assert Counter(c.entra_user_id for c in psa.of_client(CLIENT)) == {f"u-{i}": 1 for i in range(5)}
    assert len(await app.links.for_tenant(TENANT)) == 5


async def test_r8_7_a_bulk_create_call_dying_half_way_is_relinked_by_entra_id_on_redelivery() -> None:
    users = [entra_user(f"u-{i}", f"new.user{i}") for i in range(5)]
    psa = MemoryPsa(bulk=True)
    app = fake_app(psa=psa)
    psa.unavailable_on("create", 3)

    with pytest.raises(PsaUnavailable):
        await apply_plan(app, await plan_for(app, users))

    assert psa.faults_fired["unavailable create"] == 1
    assert len(psa.of_client(CLIENT)) == 2  # made before the call died, their ids never returned
    assert await app.links.for_tenant(TENANT) == []

    applied = await apply_plan(app, await plan_for(app, users))

    outcomes = Counter(o.outcome for o in applied.outcomes)
    assert outcomes == {Outcome.LINKED: 2, Outcome.CREATED: 3}  # found by the Entra id the PSA keeps (R8.5)
    assert Counter(c.entra_user_id for c in psa.of_client(CLIENT)) == {f"u-{i}": 1 for i in range(5)}


async def test_r8_7_bulk_unavailable_in_the_change_call_keeps_the_links_of_the_contacts_just_created() -> None:
    app, psa = world(True)
    psa.unavailable_on("update", 1)

    with pytest.raises(PsaUnavailable):
        await _apply(app)

    assert psa.faults_fired["unavailable update"] == 1
    created = {c.entra_user_id: c.id for c in psa.of_client(CLIENT) if c.entra_user_id}
    assert set(created) == {"u-cy", "u-fay"}
    for user_id, contact_id in created.items():
        link = await app.links.get(TENANT, user_id)
        assert link is not None and link.contact_id == contact_id
    assert await app.links.get(TENANT, "u-bob") is None  # its change was not made: no link yet


@BOTH
async def test_r8_7_an_unavailable_psa_fails_no_user_and_a_retry_finishes_the_plan(bulk: bool) -> None:
    app, psa = world(bulk)
    psa.unavailable_on("activate", 1)

    with pytest.raises(PsaUnavailable):
        await _apply(app)
    assert psa.faults_fired["unavailable activate"] == 1

    applied = await _apply(app)

    outcomes = {o.user_id: o.outcome for o in applied.outcomes}
    assert outcomes["u-dana"] is Outcome.INACTIVATED and outcomes["u-eve"] is Outcome.REACTIVATED
    assert Counter(c.entra_user_id for c in psa.of_client(CLIENT) if c.entra_user_id) == {"u-cy": 1, "u-fay": 1}


@BOTH
async def test_links_are_saved_in_batches_of_100_and_only_those_that_changed(bulk: bool) -> None:
    users = [entra_user(f"u-{i:03d}", f"user.n{i:03d}") for i in range(250)]
    links = FakeLinkStore()
    app = fake_app(psa=MemoryPsa(bulk=bulk), links=links)

    await apply_plan(app, await plan_for(app, users))

    assert [len(batch) for batch in links.saves] == [100, 100, 50]
    links.saves.clear()

    again = await apply_plan(app, await plan_for(app, users))  # R7.6: nothing changed

    assert links.saves == [] and again.psa_writes == 0
    assert {o.outcome for o in again.outcomes} == {Outcome.UNCHANGED}


@BOTH
async def test_r3_3_the_plans_ambiguities_are_saved(bulk: bool) -> None:
    psa = MemoryPsa(bulk=bulk, contacts=[contact("k-1", "ann.lee"), contact("k-2", "ann.lee")])
    app = fake_app(psa=psa)

    applied = await apply_plan(app, await plan_for(app, [entra_user("u-ann", "ann.lee")]))

    assert [o.outcome for o in applied.outcomes] == [Outcome.QUEUED]
    saved = await app.ambiguities.for_tenant(TENANT)
    assert [(a.user_id, sorted(a.candidate_contact_ids)) for a in saved] == [("u-ann", ["k-1", "k-2"])]
    assert isinstance(saved[0], Ambiguity) and psa.writes == 0


async def test_a_connector_that_says_bulk_but_has_no_bulk_calls_is_refused() -> None:
    class SaysBulk(MemoryPsa):
        create_contacts = None  # type: ignore[assignment]
        change_contacts = None  # type: ignore[assignment]

    app = fake_app(psa=SaysBulk(bulk=True))

    with pytest.raises(TypeError, match="has none"):
        await apply_plan(app, await plan_for(app, [entra_user("u-1")]))


@BOTH
async def test_the_counting_connector_takes_the_inner_connectors_path_and_counts_alike(bulk: bool) -> None:
    inner = MemoryPsa(bulk=bulk)
    counting = CountingConnector(inner)
    app = fake_app(psa=counting)
    plan = await plan_for(app, [entra_user("u-1"), entra_user("u-2")])
    counting.reset()  # the planner's read of the contacts

    await apply_plan(app, plan)

    assert counting.capabilities.bulk is bulk
    assert counting.writes == 2 and counting.fact_writes == 2
    assert counting.calls == (1 if bulk else 4)  # one bulk call, or a create and a facts write each
    assert inner.calls["create_contacts" if bulk else "create_contact"] == (1 if bulk else 2)


async def test_the_counting_connector_refuses_bulk_calls_its_inner_connector_lacks() -> None:
    counting = CountingConnector(MemoryPsa(bulk=False))

    with pytest.raises(TypeError, match="no bulk calls"):
        await counting.create_contacts(CLIENT, [])
    with pytest.raises(TypeError, match="no bulk calls"):
        await counting.change_contacts(CLIENT, [])


async def test_r6_2_apply_user_returns_the_link_for_the_caller_to_save() -> None:
    app = fake_app()
    plan = next(u for u in (await plan_for(app, [entra_user("u-1")])).users)

    outcome, link, writes = await apply_user(app, CLIENT, plan)

    assert outcome.outcome is Outcome.CREATED and writes == 1
    assert link is not None and link.contact_id == outcome.contact_id
    assert await app.links.get(TENANT, "u-1") is None  # the caller saves it


async def test_r8_7_apply_user_links_a_contact_it_created_before_the_psa_went_away() -> None:
    psa = MemoryPsa()
    app = fake_app(psa=psa)
    plan = next(u for u in (await plan_for(app, [entra_user("u-1")])).users)
    psa.unavailable_on("facts", 1)

    with pytest.raises(PsaUnavailable):
        await apply_user(app, CLIENT, plan)

    assert psa.faults_fired["unavailable facts"] == 1
    link = await app.links.get(TENANT, "u-1")
    assert link is not None and link.contact_id == psa.of_client(CLIENT)[0].id
