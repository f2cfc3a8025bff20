"""The tenant worker, `sync_tenant`, on fakes: both passes, every reason a pass is full, and what
happens to duplicates, busy tenants and Graph's errors (R5.5, R7.4-R7.6). No storage, no network."""

from __future__ import annotations

from datetime import timedelta

import pytest

from shared.errors import GraphError, GraphForbidden, PsaUnavailable
from shared.models import (
    EntraUser,
    Filters,
    Mapping,
    MappingStatus,
    Outcome,
    RunType,
    SafetyBrake,
    SyncSettings,
    TenantResult,
    TenantStatus,
    Trigger,
)
from shared.models.graph_reads import SecureScore, SubscribedSku
from shared.models.queue import TenantMessage
from shared.service.app import App
from shared.service.delta_pass import NO_CHANGES
from shared.service.runs import start_run
from shared.service.sync_tenant import BUSY_RETRY_SECONDS, sync_tenant
from shared.service.tenant_reads import SECURE_SCORE_NOTE
from shared.sync.facts import P1_NOTE
from tests.unit.fakes import (
    FakeClock,
    FakeGraph,
    FakeLeaseStore,
    FakeRunStore,
    FakeTenant,
    FakeWorkQueue,
    MemoryPsa,
    fake,
    fake_app,
)
from tests.unit.fakes.builders import BASIC, CLIENT, TENANT, entra_user, map_tenant

ANN, BOB, CY = (entra_user("u-ann", "ann.lee"), entra_user("u-bob", "bob.ray"), entra_user("u-cy", "cy.ng"))


async def world(
    users: list[EntraUser] | None = None, *, settings: SyncSettings | None = None, bulk: bool = False
) -> tuple[App, FakeTenant, MemoryPsa]:
    tenant = FakeTenant(TENANT, users if users is not None else [ANN, BOB, CY])
    psa = MemoryPsa(bulk=bulk)
    app = fake_app(graph=FakeGraph([tenant]), psa=psa, clock=FakeClock())
    if settings is not None:
        await app.sync_settings.save_global(settings)
    await map_tenant(app)
    return app, tenant, psa


async def run(
    app: App,
    run_type: RunType = RunType.TENANT,
    trigger: Trigger = Trigger.TIMER,
    *,
    dry_run: bool = False,
    brake_released: bool = False,
    incremental: bool | None = None,
) -> TenantResult | None:
    """Start a run and deliver its tenant's message once, as the host would."""
    started, _ = await start_run(
        app,
        run_type,
        trigger,
        tenant_id=TENANT,
        dry_run=dry_run,
        brake_released=brake_released,
        incremental=incremental,
    )
    result = await sync_tenant(app, TenantMessage(run_id=started.run_id, tenant_id=TENANT))
    fake(app.clock, FakeClock).advance(timedelta(minutes=5))
    return result


def full_because(result: TenantResult | None) -> str | None:
    assert result is not None
    if result.pass_kind != "full":
        return None
    return next(n.removeprefix("full pass: ") for n in result.notes if n.startswith("full pass: "))


async def initial(app: App) -> TenantResult:
    result = await run(app, RunType.INITIAL, Trigger.MANUAL)
    assert result is not None and result.status is TenantStatus.SUCCEEDED
    return result


# The full pass and its reasons


async def test_an_initial_run_takes_a_full_pass_and_leaves_a_delta_link_and_a_snapshot() -> None:
    app, tenant, psa = await world()

    result = await initial(app)

    assert full_because(result) == "initial run"
    assert result.counts.created == 3 and result.psa_writes == psa.writes == 3
    cursor = await app.cursors.get(TENANT)
    assert cursor is not None and cursor.delta_link and cursor.client_id == CLIENT
    snapshot = await app.cursors.load_snapshot(TENANT, cursor.buckets)
    assert len(snapshot) == 3
    assert tenant.calls["users"] == 1 and tenant.calls["registration_details"] == 1
    assert len(await app.links.for_tenant(TENANT)) == 3


async def test_r7_1_a_manual_run_is_not_incremental_and_takes_a_full_pass() -> None:
    app, _, _ = await world()
    await initial(app)

    assert full_because(await run(app, trigger=Trigger.MANUAL)) == "manual run asked for a full pass"


async def test_r5_5_a_released_brake_takes_a_full_pass() -> None:
    app, _, _ = await world()
    await initial(app)

    result = await run(app, brake_released=True, incremental=True)

    assert full_because(result) == "the safety brake was released"


async def test_a_tenant_without_a_delta_link_takes_a_full_pass() -> None:
    app, _, _ = await world()

    assert full_because(await run(app)) == "no delta link yet"


async def test_a_tenant_mapped_to_another_client_takes_a_full_pass() -> None:
    app, _, psa = await world()
    await initial(app)
    await map_tenant(app, client_id="c-new")

    result = await run(app)

    assert full_because(result) == "the tenant is mapped to another client"
    assert result is not None and result.counts.created == 3
    assert len(psa.of_client("c-new")) == 3


async def test_changed_sync_settings_take_a_full_pass() -> None:
    app, _, _ = await world()
    await initial(app)
    await app.sync_settings.update_global(lambda s: s.model_copy(update={"exclusion_patterns": ["^cy$"]}))

    result = await run(app)

    assert full_because(result) == "the sync settings changed"


async def test_r2_4_group_filters_take_a_full_pass_every_time() -> None:
    settings = SyncSettings(filters=Filters(groups=["g-staff"]))
    app, tenant, _ = await world(settings=settings)
    tenant.groups = {"g-staff": {"u-ann", "u-bob"}}
    first = await initial(app)
    assert first.counts.created == 2 and first.counts.ignored == 1

    result = await run(app)

    assert full_because(result) == "group filters need every user's membership"
    assert tenant.calls["group_member_ids"] == 2


async def test_r5_5_a_held_tenant_takes_full_passes_until_approved() -> None:
    settings = SyncSettings(safety_brake=SafetyBrake(min_contacts=1, percent=0))
    app, tenant, psa = await world(settings=settings)
    await initial(app)
    for user in (ANN, BOB):
        tenant.change(EntraUser(id=user.id, account_enabled=False))

    held = await run(app)

    assert held is not None and held.pass_kind == "delta" and held.status is TenantStatus.HELD
    assert all(c.active for c in psa.of_client(CLIENT))  # nothing inactivated while held
    again = await run(app)
    assert full_because(again) == "inactivations are held by the safety brake"
    assert again is not None and again.status is TenantStatus.HELD

    approved = await run(app, brake_released=True)

    assert approved is not None and approved.status is TenantStatus.SUCCEEDED
    assert approved.counts.inactivated == 2
    cursor = await app.cursors.get(TENANT)
    assert cursor is not None and not cursor.held
    assert full_because(await run(app)) is None  # delta passes again


async def test_the_daily_full_pass_comes_once_the_interval_has_passed() -> None:
    app, _, _ = await world()
    await initial(app)
    assert full_because(await run(app)) is None

    fake(app.clock, FakeClock).advance(timedelta(hours=24))

    assert full_because(await run(app)) == "the last full pass is 24 h old or more"


async def test_a_delta_link_graph_no_longer_knows_410_means_a_full_pass_now() -> None:
    app, tenant, _ = await world()
    await initial(app)
    tenant.delta_expired = True

    result = await run(app)

    assert tenant.faults_fired["410"] == 1
    assert full_because(result) == "the delta link expired"
    assert result is not None and result.status is TenantStatus.SUCCEEDED


# The delta pass


async def test_r7_6_a_delta_pass_with_no_change_reads_no_psa_and_writes_nothing() -> None:
    app, _, psa = await world()
    await initial(app)
    reads, writes = psa.calls["list_contacts"], psa.writes

    result = await run(app)

    assert result is not None and result.pass_kind == "delta" and result.notes == [NO_CHANGES]
    assert psa.calls["list_contacts"] == reads and psa.writes == writes
    assert result.counts.model_dump() == {k: 0 for k in result.counts.model_dump()}


async def test_r4_2_a_delta_pass_plans_only_the_changed_users_as_whole_users() -> None:
    app, tenant, psa = await world()
    await initial(app)
    tenant.change(EntraUser(id="u-bob", job_title="Office Manager"))  # a partial delta object

    result = await run(app)

    assert result is not None and result.pass_kind == "delta"
    planned = (await app.runs.user_outcomes(_last_run(app), TENANT))[TENANT]
    assert [(u.user_id, u.outcome) for u in planned] == [("u-bob", Outcome.UPDATED)]
    assert result.psa_writes == 1
    bob = next(c for c in psa.of_client(CLIENT) if c.entra_user_id == "u-bob")
    assert bob.title == "Office Manager" and bob.email == "bob.ray@contoso.example"  # merged onto the snapshot


async def test_r5_2_a_user_removed_in_delta_is_inactivated() -> None:
    app, tenant, psa = await world()
    await initial(app)
    tenant.change(EntraUser.model_validate({"id": "u-cy", "@removed": {"reason": "deleted"}}))

    result = await run(app)

    assert result is not None and result.counts.inactivated == 1
    cy = next(c for c in psa.of_client(CLIENT) if c.entra_user_id == "u-cy")
    assert not cy.active


async def test_r3_5_a_user_the_psa_refused_is_planned_again_on_the_next_delta_pass() -> None:
    app, _, psa = await world()
    psa.refuse("cy.ng@contoso.example")
    first = await initial(app)
    assert first.counts.failed == 1
    psa._refused.clear()

    result = await run(app)

    assert result is not None and result.pass_kind == "delta" and result.counts.created == 1
    cursor = await app.cursors.get(TENANT)
    assert cursor is not None and cursor.retry == []


# The edges of the worker


async def test_r7_5_a_message_delivered_twice_is_processed_once() -> None:
    app, _, psa = await world()
    started, _ = await start_run(app, RunType.INITIAL, Trigger.MANUAL)
    message = TenantMessage(run_id=started.run_id, tenant_id=TENANT)

    first = await sync_tenant(app, message)
    second = await sync_tenant(app, message)

    assert first is not None and first.counts.created == 3
    assert second is None and psa.writes == 3


async def test_a_message_for_an_unknown_run_is_dropped() -> None:
    app, _, psa = await world()

    assert await sync_tenant(app, TenantMessage(run_id="r-gone", tenant_id=TENANT)) is None
    assert psa.calls == {}


async def test_r7_5_a_busy_tenant_is_sent_back_to_the_queue_with_a_delay() -> None:
    app, _, psa = await world()
    started, _ = await start_run(app, RunType.INITIAL, Trigger.MANUAL)
    assert await app.leases.acquire(TENANT, "another-worker", app.clock(), timedelta(minutes=10))
    message = TenantMessage(run_id=started.run_id, tenant_id=TENANT)

    assert await sync_tenant(app, message) is None

    assert fake(app.queue, FakeWorkQueue).sent[-1] == (message, BUSY_RETRY_SECONDS)
    assert psa.writes == 0
    row = await app.runs.tenant_result(started.run_id, TENANT)
    assert row is not None and row.status is TenantStatus.QUEUED


async def test_a_tenant_no_longer_mapped_is_failed() -> None:
    app, _, _ = await world()
    started, _ = await start_run(app, RunType.INITIAL, Trigger.MANUAL)
    await app.mappings.save(Mapping(tenant_id=TENANT, status=MappingStatus.SKIPPED))

    result = await sync_tenant(app, TenantMessage(run_id=started.run_id, tenant_id=TENANT))

    assert result is not None and result.status is TenantStatus.FAILED
    row = await app.runs.tenant_result(started.run_id, TENANT)
    assert row is not None and row.error == "the tenant is no longer mapped to a client"


async def test_an_unconsented_tenant_fails_at_once_without_a_retry() -> None:
    app, tenant, _ = await world()
    tenant.consented = False

    result = await run(app, RunType.INITIAL, Trigger.MANUAL)

    assert tenant.faults_fired["not-consented"] == 1
    assert result is not None and result.status is TenantStatus.FAILED and "AADSTS700016" in (result.error or "")
    assert fake(app.leases, FakeLeaseStore).rows == {}


async def test_a_forbidden_read_fails_the_tenant_at_once() -> None:
    app, tenant, _ = await world()
    tenant.fail("subscribed_skus", GraphForbidden("Organization.Read.All is missing", status=403))

    result = await run(app, RunType.INITIAL, Trigger.MANUAL)

    assert tenant.faults_fired["subscribed_skus"] == 1
    assert result is not None and result.status is TenantStatus.FAILED
    assert result.error == "Organization.Read.All is missing"


async def test_a_transient_graph_error_raises_for_the_host_to_retry_and_notes_it_on_the_tenant() -> None:
    app, tenant, psa = await world()
    tenant.fail("users", GraphError("503 Service Unavailable", status=503))
    started, _ = await start_run(app, RunType.INITIAL, Trigger.MANUAL)
    message = TenantMessage(run_id=started.run_id, tenant_id=TENANT)

    with pytest.raises(GraphError, match="503"):
        await sync_tenant(app, message)

    assert tenant.faults_fired["users"] == 1
    row = await app.runs.tenant_result(started.run_id, TENANT)
    assert row is not None and row.status is TenantStatus.QUEUED and "503" in (row.error or "")
    assert fake(app.leases, FakeLeaseStore).rows == {}
    retried = await sync_tenant(app, message)  # the host's next try
    assert retried is not None and retried.status is TenantStatus.SUCCEEDED and psa.writes == 3


async def test_r8_7_an_unavailable_psa_raises_for_the_host_to_retry_and_the_retry_duplicates_nothing() -> None:
    app, _, psa = await world()
    psa.unavailable_on("create", 3)
    started, _ = await start_run(app, RunType.INITIAL, Trigger.MANUAL)
    message = TenantMessage(run_id=started.run_id, tenant_id=TENANT)

    with pytest.raises(PsaUnavailable):
        await sync_tenant(app, message)

    assert psa.faults_fired["unavailable create"] == 1
    assert len(await app.links.for_tenant(TENANT)) == 2
    retried = await sync_tenant(app, message)
    assert retried is not None and retried.status is TenantStatus.SUCCEEDED and retried.counts.failed == 0
    assert sorted(c.entra_user_id or "" for c in psa.of_client(CLIENT)) == ["u-ann", "u-bob", "u-cy"]


async def test_r7_4_a_dry_run_reports_the_outcomes_and_writes_nothing_but_its_run() -> None:
    app, _, psa = await world()

    result = await run(app, RunType.INITIAL, Trigger.MANUAL, dry_run=True)

    assert result is not None and result.counts.created == 3 and result.psa_writes == 3
    assert psa.writes == 0 and await app.links.for_tenant(TENANT) == []
    assert await app.cursors.get(TENANT) is None


@pytest.mark.parametrize("bulk", [False, True], ids=["one-by-one", "bulk"])
async def test_r7_6_a_second_full_pass_with_nothing_changed_writes_nothing(bulk: bool) -> None:
    app, _, psa = await world(bulk=bulk)
    await initial(app)
    writes = psa.writes

    again = await run(app, trigger=Trigger.MANUAL)

    assert again is not None and again.psa_writes == 0 and psa.writes == writes
    assert {u.outcome for u in (await app.runs.user_outcomes(_last_run(app), TENANT))[TENANT]} == {Outcome.UNCHANGED}


def _last_run(app: App) -> str:
    return min(fake(app.runs, FakeRunStore).runs)  # run ids sort newest first


# Entra ID P1 and the optional reads


async def test_a_tenant_without_p1_is_synced_with_a_note_and_not_asked_again_for_a_week() -> None:
    app, tenant, _ = await world()
    tenant.p1 = False

    first = await initial(app)

    assert P1_NOTE in first.notes and first.counts.created == 3
    assert tenant.faults_fired["403 the MFA report"] == 1 and tenant.faults_fired["403 signInActivity"] == 1
    assert tenant.calls["fixed_reads"] == 1 and tenant.calls["users"] == 2  # then once more, without sign-ins
    cursor = await app.cursors.get(TENANT)
    assert cursor is not None and cursor.entra_p1 is False
    again = await run(app, trigger=Trigger.MANUAL)
    assert again is not None and P1_NOTE in again.notes
    assert tenant.calls["registration_details"] == 1  # known without P1: not asked again
    assert tenant.calls["users"] == 3 and tenant.faults_fired["403 signInActivity"] == 1  # nor sign-ins


async def test_sign_in_activity_refused_alone_still_means_no_p1() -> None:
    app, tenant, _ = await world()
    tenant.fail("users", GraphForbidden("signInActivity needs Entra ID P1", status=403))

    result = await initial(app)

    assert tenant.faults_fired["users"] == 1 and tenant.calls["users"] == 2  # asked again without it
    assert P1_NOTE in result.notes


async def test_an_unreadable_secure_score_is_a_note_not_a_failure() -> None:
    app, tenant, _ = await world()
    tenant.secure_score_readable = False

    result = await initial(app)

    assert tenant.faults_fired["403 secureScores"] == 1
    assert SECURE_SCORE_NOTE in result.notes and result.status is TenantStatus.SUCCEEDED


async def test_r4_4_the_clients_facts_secure_score_and_licence_usage_are_kept_after_a_full_pass() -> None:
    app, tenant, psa = await world()
    tenant.secure_score = SecureScore(current_score=42.0, max_score=80.0)
    tenant.skus = [SubscribedSku(sku_id=BASIC, sku_part_number="O365_BUSINESS_ESSENTIALS", consumed_units=3)]

    await initial(app)
    writes = psa.done["client_facts"]
    await run(app, trigger=Trigger.MANUAL)

    client = psa.clients[CLIENT]
    assert client.microsoft is not None and client.microsoft.secure_score == 42.0
    assert client.microsoft.licensed_users == 3
    assert writes == 1 and psa.done["client_facts"] == 1  # unchanged facts are not written again
    [point] = await app.secure_scores.history(CLIENT)
    assert point.current_score == 42.0 and point.tenant_id == TENANT
    [usage] = await app.licenses.list(TENANT)
    assert usage.sku_part_number == "O365_BUSINESS_ESSENTIALS" and usage.consumed == 3


async def test_r8_4_a_psa_refusing_the_clients_facts_is_a_note_and_the_tenant_succeeds() -> None:
    app, tenant, psa = await world()
    tenant.secure_score = SecureScore(current_score=42.0, max_score=80.0)
    psa.refuse_client_facts = "custom field microsoft_secure_score does not exist"

    result = await initial(app)

    assert psa.faults_fired["refused client_facts"] == 1
    assert result.counts.created == 3 and result.error is None
    assert any("microsoft_secure_score does not exist" in note for note in result.notes)
    [point] = await app.secure_scores.history(CLIENT)  # the rest of the facts' bookkeeping still done
    assert point.current_score == 42.0
    psa.refuse_client_facts = None
    await run(app, trigger=Trigger.MANUAL)
    assert psa.done["client_facts"] == 1  # still differing: the next full pass writes them
