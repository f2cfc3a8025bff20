"""An operator settles an ambiguity (R6) or approves held inactivations (R5.5), on fakes."""

from __future__ import annotations

from datetime import timedelta

import pytest

from shared.errors import Conflict, NotFound, PsaError, ValidationFailed
from shared.models import AmbiguityStatus, ContactLink, DeltaCursor, Outcome, RunType
from shared.service.ambiguities import Resolution, approve_inactivations, list_ambiguities, resolve
from shared.service.app import App
from shared.service.apply import apply_plan
from tests.unit.fakes import FakeGraph, FakeTenant, FakeWorkQueue, MemoryPsa, fake, fake_app
from tests.unit.fakes.builders import CLIENT, TENANT, contact, entra_user, map_tenant, plan_for

ANN = entra_user("u-ann", "ann.lee", mobile_phone="+1 555 0101")


async def queued() -> tuple[App, MemoryPsa]:
    """Ann has two contacts with her email in the mapped client: she is queued (R3.3)."""
    psa = MemoryPsa(
        contacts=[
            contact("k-1", "ann.lee"),
            contact("k-2", "ann.lee"),
            contact("k-other", "ann.lee", client_id="c-other"),
        ]
    )
    app = fake_app(psa=psa, graph=FakeGraph([FakeTenant(TENANT, [ANN])]))
    await map_tenant(app)
    applied = await apply_plan(app, await plan_for(app, [ANN]))
    assert [o.outcome for o in applied.outcomes] == [Outcome.QUEUED]
    return app, psa


async def test_r6_1_the_open_ambiguity_is_listed_with_its_candidates() -> None:
    app, _ = await queued()

    [item] = await list_ambiguities(app, AmbiguityStatus.OPEN)

    assert (item.user_id, sorted(item.candidate_contact_ids)) == ("u-ann", ["k-1", "k-2"])
    assert await list_ambiguities(app, AmbiguityStatus.RESOLVED) == []


async def test_r6_2_resolving_to_an_existing_contact_links_it_and_applies_r4_2_at_once() -> None:
    app, psa = await queued()

    done = await resolve(app, TENANT, "u-ann", Resolution.EXISTING, contact_id="k-2", by="ops@msp.example")

    assert (done.status, done.resolution, done.contact_id, done.resolved_by) == (
        AmbiguityStatus.RESOLVED,
        "existing",
        "k-2",
        "ops@msp.example",
    )
    link = await app.links.get(TENANT, "u-ann")
    assert link is not None and link.contact_id == "k-2"
    assert psa.contacts["k-2"].mobile == "+1 555 0101" and psa.contacts["k-1"].mobile == ""
    again = await plan_for(app, [ANN])  # R6.2: a resolved user is not queued again
    assert [u.outcome for u in again.users] == [Outcome.UNCHANGED]


async def test_r6_2_resolving_to_a_new_contact_creates_and_links_it() -> None:
    app, psa = await queued()

    done = await resolve(app, TENANT, "u-ann", Resolution.NEW)

    created = [c for c in psa.of_client(CLIENT) if c.entra_user_id == "u-ann"]
    assert len(created) == 1 and done.resolution == "new" and done.contact_id == created[0].id
    link = await app.links.get(TENANT, "u-ann")
    assert link is not None and link.contact_id == created[0].id


async def test_r6_2_a_dismissed_user_is_never_queued_again() -> None:
    app, psa = await queued()

    done = await resolve(app, TENANT, "u-ann", Resolution.DISMISS)

    assert done.status is AmbiguityStatus.DISMISSED and psa.writes == 0
    again = await plan_for(app, [ANN])
    assert again.users[0].outcome is not Outcome.QUEUED and again.ambiguities == []


async def test_r6_2_a_contact_outside_the_mapped_client_is_refused_and_nothing_changes() -> None:
    app, psa = await queued()

    with pytest.raises(Conflict, match="not a contact of client c-contoso"):
        await resolve(app, TENANT, "u-ann", Resolution.EXISTING, contact_id="k-other")

    item = await app.ambiguities.get(TENANT, "u-ann")
    assert item is not None and item.status is AmbiguityStatus.OPEN
    assert await app.links.get(TENANT, "u-ann") is None and psa.writes == 0


async def test_r3_2_a_contact_linked_to_another_user_is_refused() -> None:
    app, _ = await queued()
    await app.links.save(ContactLink(tenant_id=TENANT, user_id="u-bob", contact_id="k-1", client_id=CLIENT))

    with pytest.raises(Conflict, match="already linked to another user"):
        await resolve(app, TENANT, "u-ann", Resolution.EXISTING, contact_id="k-1")


async def test_resolving_to_an_existing_contact_needs_its_id() -> None:
    app, _ = await queued()

    with pytest.raises(ValidationFailed) as refused:
        await resolve(app, TENANT, "u-ann", Resolution.EXISTING)

    assert refused.value.field == "contactId"


async def test_an_unknown_or_settled_ambiguity_is_refused() -> None:
    app, _ = await queued()
    await resolve(app, TENANT, "u-ann", Resolution.DISMISS)

    with pytest.raises(NotFound):
        await resolve(app, TENANT, "u-nobody", Resolution.NEW)
    with pytest.raises(Conflict, match="already dismissed"):
        await resolve(app, TENANT, "u-ann", Resolution.NEW)


async def test_r7_5_an_ambiguity_of_a_tenant_being_synced_waits() -> None:
    app, psa = await queued()
    assert await app.leases.acquire(TENANT, "a-worker", app.clock(), timedelta(minutes=10))

    with pytest.raises(Conflict, match="being synced"):
        await resolve(app, TENANT, "u-ann", Resolution.NEW)

    assert psa.writes == 0


async def test_r3_5_a_create_the_psa_refuses_leaves_the_ambiguity_open_and_unlinked() -> None:
    app, psa = await queued()
    psa.refuse("ann.lee@contoso.example", "duplicate email")

    with pytest.raises(PsaError, match="duplicate email"):
        await resolve(app, TENANT, "u-ann", Resolution.NEW)

    assert psa.faults_fired["refused create"] == 1
    item = await app.ambiguities.get(TENANT, "u-ann")
    assert item is not None and item.status is AmbiguityStatus.OPEN
    assert await app.links.get(TENANT, "u-ann") is None


async def test_r5_5_approving_a_tenant_without_a_hold_is_refused() -> None:
    app, _ = await queued()

    with pytest.raises(Conflict, match="no held inactivations"):
        await approve_inactivations(app, TENANT)


async def test_r5_5_approval_starts_a_tenant_run_that_releases_the_brake_recorded_with_who_approved() -> None:
    app, _ = await queued()
    await app.cursors.save(TENANT, DeltaCursor(delta_link="https://graph.fake/delta/x/0", held_by_run="r-1"))

    run = await approve_inactivations(app, TENANT, by="lead@msp.example")

    assert run.type is RunType.TENANT and run.tenant_id == TENANT
    assert run.brake_released and run.requested_by == "lead@msp.example"
    assert [m.tenant_id for m in fake(app.queue, FakeWorkQueue).messages()] == [TENANT]
