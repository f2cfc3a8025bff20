"""What needs an operator (GET /api/attention) and what the safety brake holds (GET /api/brakes):
worst first, each item naming its tenants and clients, with one action."""

from __future__ import annotations

from datetime import timedelta

from shared.models import (
    Ambiguity,
    ConnectionHealth,
    DeltaCursor,
    Mapping,
    MappingStatus,
    Outcome,
    PsaClient,
    RunRecord,
    RunStatus,
    RunType,
    Tenant,
    TenantResult,
    TenantStatus,
    Trigger,
    UserOutcome,
)
from shared.service.app import App
from shared.service.attention import needs_attention
from shared.service.brakes import held_brakes
from shared.service.runs import new_run_id
from tests.unit.fakes.app import START, fake, fake_app
from tests.unit.fakes.psa import MemoryPsa
from tests.unit.fakes.stores import FakeCursorStore, FakeRunStore

CLIENTS = [PsaClient(id=f"c-{n}", name=n.title()) for n in ("alpha", "bravo", "delta", "echo")]


def tenant(tid: str, health: ConnectionHealth = ConnectionHealth.OK, message: str | None = None) -> Tenant:
    return Tenant(tenant_id=tid, display_name=f"{tid.title()} Ltd", health=health, health_message=message)


def confirmed(tid: str) -> Mapping:
    return Mapping(tenant_id=tid, status=MappingStatus.CONFIRMED, client_id=f"c-{tid}")


async def office() -> App:
    """alpha: mapped, not consented; bravo: mapped, failing twice then held; charlie: not mapped;
    delta: mapped, one user to review; echo: mapped and fine."""
    app = fake_app(psa=MemoryPsa(clients=CLIENTS))
    await app.tenants.save_many(
        [
            tenant("alpha", ConnectionHealth.NOT_CONSENTED, "AADSTS700016: not found in the directory"),
            tenant("bravo"),
            tenant("charlie"),
            tenant("delta"),
            tenant("echo"),
        ]
    )
    await app.mappings.save_many([confirmed(t) for t in ("alpha", "bravo", "delta", "echo")])
    await app.mappings.save(Mapping(tenant_id="charlie", status=MappingStatus.NEEDS_REVIEW))
    await app.ambiguities.save_many([Ambiguity(tenant_id="delta", user_id="u-1", candidate_contact_ids=["k1", "k2"])])
    return app


async def run(app: App, minutes_ago: int, results: dict[str, TenantStatus], *, dry: bool = False) -> RunRecord:
    started = START - timedelta(minutes=minutes_ago)
    record = RunRecord(
        run_id=new_run_id(started),
        type=RunType.ALL_TENANTS,
        trigger=Trigger.TIMER,
        dry_run=dry,
        status=RunStatus.PARTIAL,
        started_at=started,
    )
    tenants = [
        TenantResult(tenant_id=t, status=s, error=f"{t} broke" if s is TenantStatus.FAILED else None)
        for t, s in results.items()
    ]
    await app.runs.create(record, tenants)
    return record


async def test_items_come_worst_first_each_naming_its_tenant_and_client_with_one_action() -> None:
    app = await office()
    await run(app, 180, {"bravo": TenantStatus.SUCCEEDED, "echo": TenantStatus.SUCCEEDED})
    await run(app, 120, {"bravo": TenantStatus.FAILED, "echo": TenantStatus.SUCCEEDED})
    latest = await run(app, 60, {"bravo": TenantStatus.FAILED, "echo": TenantStatus.SUCCEEDED})
    held = await run(app, 30, {"bravo": TenantStatus.HELD}, dry=True)  # dry runs do not count as failures
    fake(app.cursors, FakeCursorStore).cursors["bravo"] = DeltaCursor(held_by_run=held.run_id)

    items = await needs_attention(app)

    assert [(i.kind.value, i.severity.value, [s.tenant_id for s in i.subjects]) for i in items] == [
        ("tenant-connection", "critical", ["alpha"]),
        ("failing-runs", "critical", ["bravo"]),
        ("brake-held", "warning", ["bravo"]),
        ("review-items", "notice", ["delta"]),
        ("unmapped-tenants", "notice", ["charlie"]),
    ]
    connection, failing, brake, review, unmapped = items
    assert (connection.action.kind.value, connection.action.tenant_id) == ("consent-link", "alpha")
    assert "AADSTS700016" in connection.detail and "not being updated" in connection.detail
    assert failing.title == "Bravo Ltd: the last 2 runs failed" and failing.detail == "bravo broke"
    assert (failing.action.kind.value, failing.action.run_id) == ("open-run", latest.run_id)
    assert (brake.action.kind.value, brake.subjects[0].client_name) == ("approve-brake", "Bravo")
    assert review.title == "Delta Ltd: 1 user could not be matched to one contact"
    assert (unmapped.title, unmapped.action.kind.value) == ("1 tenant not mapped to a client", "map")


async def test_a_success_ends_a_streak_of_failures_and_one_failure_is_not_repeated() -> None:
    app = await office()
    await run(app, 180, {"bravo": TenantStatus.FAILED, "echo": TenantStatus.FAILED})
    await run(app, 120, {"bravo": TenantStatus.FAILED, "echo": TenantStatus.FAILED})
    await run(app, 60, {"bravo": TenantStatus.SUCCEEDED, "echo": TenantStatus.FAILED})

    kinds = [i.kind.value for i in await needs_attention(app)]

    assert kinds.count("failing-runs") == 1
    failing = next(i for i in await needs_attention(app) if i.kind.value == "failing-runs")
    assert failing.subjects[0].tenant_id == "echo" and failing.title.endswith("the last 3 runs failed")


async def test_an_unreachable_tenant_not_yet_mapped_is_a_warning_with_a_check_again() -> None:
    app = fake_app(psa=MemoryPsa(clients=CLIENTS))
    await app.tenants.save_many([tenant("foxtrot", ConnectionHealth.FORBIDDEN, "Authorization_RequestDenied")])
    await app.mappings.save(Mapping(tenant_id="foxtrot", status=MappingStatus.SKIPPED))

    items = await needs_attention(app)

    assert [(i.severity.value, i.action.kind.value) for i in items] == [("warning", "discover")]


async def test_nothing_needs_attention_when_every_tenant_is_reachable_decided_and_in_step() -> None:
    app = fake_app(psa=MemoryPsa(clients=CLIENTS))
    await app.tenants.save_many([tenant("echo")])
    await app.mappings.save(confirmed("echo"))

    assert await needs_attention(app) == []


async def test_r5_5_a_held_brake_lists_the_users_whose_inactivation_waits() -> None:
    app = await office()
    held = await run(app, 30, {"bravo": TenantStatus.HELD})
    reason = "inactivation held by the safety brake (disabled in Microsoft); waiting for approval"
    users = [
        UserOutcome(user_id="u-2", outcome=Outcome.UNCHANGED, reason=reason, contact_id="k2", display_name="B"),
        UserOutcome(user_id="u-1", outcome=Outcome.UNCHANGED, reason=reason, contact_id="k1", display_name="A"),
        UserOutcome(user_id="u-3", outcome=Outcome.UNCHANGED, reason="no change", contact_id="k3"),
    ]
    await fake(app.runs, FakeRunStore).save_user_outcomes(held.run_id, "bravo", users)
    fake(app.cursors, FakeCursorStore).cursors["bravo"] = DeltaCursor(held_by_run=held.run_id)
    fake(app.cursors, FakeCursorStore).cursors["echo"] = DeltaCursor()  # nothing held

    brakes = await held_brakes(app)

    assert [(b.tenant_id, b.client_name, b.run_id, b.held_at) for b in brakes] == [
        ("bravo", "Bravo", held.run_id, held.started_at)
    ]
    assert [u.user_id for u in brakes[0].inactivations] == ["u-1", "u-2"]


async def test_a_hold_from_before_runs_were_kept_is_listed_without_its_users() -> None:
    app = await office()
    fake(app.cursors, FakeCursorStore).cursors["echo"] = DeltaCursor.model_validate({"held": True})

    brakes = await held_brakes(app)

    assert [(b.tenant_id, b.run_id, b.inactivations) for b in brakes] == [("echo", None, [])]
