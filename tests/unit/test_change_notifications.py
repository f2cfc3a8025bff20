"""Change notifications on fakes (issue 15): Graph's validation handshake, every notification checked
(a forged or unknown one dropped and counted, never acted on, the same 202 back), a burst coalesced
into one delta pass, a notification during a pass followed by exactly one more pass, and Graph's
lifecycle events (`missed` -> a delta pass)."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import httpx
import pytest

from functions.api import create_api
from shared.bootstrap import set_app
from shared.models import MappingStatus, PsaClient, RunRecord, RunStatus, RunType, Tenant, Trigger
from shared.models.queue import NotifyKind
from shared.service.app import App
from shared.service.coalesce import FOLLOW_UP_SECONDS, STALE_MARK, coalesced_pass, note_changes
from shared.service.mappings import Decision, decide
from shared.service.notifications import receive_changes, receive_lifecycle
from shared.service.notify_work import handle_notify_message
from shared.service.runs import start_run
from tests.unit.fakes import FakeClock, MemoryPsa, unit_settings
from tests.unit.fakes.subscriptions import FakeChangeMarks, FakeNotifyQueue, made, notifying_app

TENANT = "5b1d1a7e-0c4b-4a43-9d55-3a0f6c1e2b11"
USER = "9d1f7f0e-6a33-4f55-b0a1-2c7d8e9f0a33"


async def subscribed() -> App:
    app = notifying_app(psa=MemoryPsa(clients=[PsaClient(id="c-0", name="Client 0")]), clock=FakeClock())
    await app.tenants.save_many([Tenant(tenant_id=TENANT, display_name="Contoso")])
    await decide(app, TENANT, Decision.MAP, client_id="c-0")
    return app


def change(app: App, *, user: str = USER, **replace: Any) -> dict[str, Any]:
    """One notification as Graph sends it for the tenant's subscription."""
    (sub,) = made(app, TENANT).created
    item = {
        "id": "a6d4a1f3-3c1f-4b9e-9a2a-0d9b8c7e6f55",
        "subscriptionId": sub.id,
        "subscriptionExpirationDateTime": "2025-03-30T09:00:00Z",
        "changeType": "updated",
        "resource": f"Users/{user}",
        "resourceData": {"@odata.type": "#Microsoft.Graph.User", "@odata.id": f"Users/{user}", "id": user},
        "clientState": sub.request.client_state,
        "tenantId": TENANT,
    }
    return item | replace


def body(*items: dict[str, Any]) -> bytes:
    return json.dumps({"value": list(items)}).encode()


def queue(app: App) -> FakeNotifyQueue:
    assert isinstance(app.notify_queue, FakeNotifyQueue)
    return app.notify_queue


def marks(app: App) -> FakeChangeMarks:
    assert isinstance(app.change_marks, FakeChangeMarks)
    return app.change_marks


async def post(path: str, content: bytes = b"", params: dict[str, str] | None = None) -> httpx.Response:
    transport = httpx.ASGITransport(app=create_api())
    async with httpx.AsyncClient(transport=transport, base_url="http://localhost") as client:
        return await client.post(path, content=content, params=params, headers={"Content-Type": "application/json"})


async def finish(app: App, run: RunRecord) -> None:
    """The run's pass ends (its worker finished the tenant)."""

    def done(record: RunRecord) -> RunRecord:
        return record.model_copy(update={"status": RunStatus.COMPLETED, "completed_at": app.clock()})

    await app.runs.update(run.run_id, done)


@pytest.fixture
async def app() -> Any:
    application = await subscribed()
    set_app(application)
    try:
        yield application
    finally:
        set_app(None)


# --- the endpoint -----------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/api/notifications/users", "/api/notifications/lifecycle"])
async def test_graphs_validation_request_gets_its_token_back_as_plain_text(app: App, path: str) -> None:
    token = "Validation: Testing client application reachability for subscription Request-Id: 7e2f <b>"

    answer = await post(path, params={"validationToken": token})

    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/plain")
    assert answer.headers["x-content-type-options"] == "nosniff"
    assert answer.text == token


async def test_the_endpoint_needs_no_sign_in_acknowledges_with_202_and_does_not_sync(app: App) -> None:
    answer = await post("/api/notifications/users", body(change(app)))

    assert (answer.status_code, answer.content) == (202, b"")
    assert await app.runs.page(5) == []  # nothing synced inline: a mark and one delayed message
    assert TENANT in marks(app).rows
    ((message, delay),) = queue(app).sent
    assert (message.notify, message.tenant_id, delay) == (NotifyKind.COALESCE, TENANT, 5)


async def test_a_forged_notification_is_dropped_counted_and_answered_like_any_other(app: App) -> None:
    wrong_state = change(app, clientState="guessed-" + "x" * 56)
    unknown_id = change(app, subscriptionId="3f3d8e65-6c44-4c39-9d53-1f2a3b4c5d66")
    other_tenant = change(app, tenantId="0e4f9a57-8b9e-4f6e-a2d6-7c3b9b4c5d22")
    no_state = {k: v for k, v in change(app).items() if k != "clientState"}

    answers = [
        await post("/api/notifications/users", body(n)) for n in (wrong_state, unknown_id, other_tenant, no_state)
    ]
    junk = await post("/api/notifications/users", b"not json at all")

    assert [(a.status_code, a.content) for a in [*answers, junk]] == [(202, b"")] * 5  # no detail back
    assert marks(app).rows == {} and queue(app).sent == [] and await app.runs.page(5) == []
    assert (app.notification_counts.dropped, app.notification_counts.accepted) == (5, 0)


async def test_a_forged_item_in_a_batch_drops_only_itself(app: App) -> None:
    result = await receive_changes(app, body(change(app, clientState="forged"), change(app)))

    assert (result.accepted, result.dropped, result.tenants) == (1, 1, (TENANT,))
    assert len(queue(app).sent) == 1


async def test_a_forged_clientstate_of_another_alphabet_is_dropped_not_an_error(app: App) -> None:
    result = await receive_changes(app, body(change(app, clientState="ключ-" * 10)))

    assert (result.accepted, result.dropped) == (0, 1)


async def test_with_the_feature_off_every_notification_is_dropped(app: App) -> None:
    app.settings = unit_settings()

    result = await receive_changes(app, body(change(app)))

    assert (result.accepted, result.dropped) == (0, 1) and queue(app).sent == []


# --- coalescing --------------------------------------------------------------------------------------


async def test_a_burst_of_a_thousand_changes_in_one_tenant_is_one_pass(app: App) -> None:
    users = [f"9d1f7f0e-6a33-4f55-b0a1-{i:012d}" for i in range(1000)]
    for start in range(0, 1000, 100):  # Graph batches them: ten POSTs
        await receive_changes(app, body(*(change(app, user=u) for u in users[start : start + 100])))

    ((message, delay),) = queue(app).take()  # one window, one message
    assert delay == app.settings.notification_window_seconds
    run = await coalesced_pass(app, message.tenant_id)

    assert run is not None and (run.type, run.trigger, run.incremental) == (RunType.TENANT, Trigger.NOTIFICATION, True)
    assert [m.tenant_id for m in app.queue.messages()] == [TENANT]  # type: ignore[attr-defined]
    assert marks(app).rows == {} and queue(app).take() == []
    assert app.notification_counts.accepted == 1000 and app.notification_counts.passes_requested == 1


async def test_a_notification_during_the_pass_leads_to_exactly_one_more_pass(app: App) -> None:
    await note_changes(app, TENANT)
    ((window, _),) = queue(app).take()
    first = await coalesced_pass(app, window.tenant_id)
    assert first is not None and first.status is RunStatus.RUNNING  # the pass is running (its worker has the tenant)

    for _ in range(3):  # changes while it runs: the first opens a window, the others see the mark
        await receive_changes(app, body(change(app)))
    ((during, _),) = queue(app).take()
    joined = await coalesced_pass(app, during.tenant_id)  # the window ends while the pass still runs

    assert joined is not None and joined.run_id == first.run_id  # no second pass at once...
    ((follow_up, delay),) = queue(app).take()  # ...but one comes back after it
    assert delay == FOLLOW_UP_SECONDS
    await receive_changes(app, body(change(app)))
    assert queue(app).take() == []  # more changes meanwhile add nothing

    await finish(app, first)
    second = await coalesced_pass(app, follow_up.tenant_id)

    assert second is not None and second.run_id != first.run_id and second.trigger is Trigger.NOTIFICATION
    assert queue(app).take() == [] and marks(app).rows == {}  # exactly one more pass, then quiet
    runs = [r for r in await app.runs.page(10) if r.trigger is Trigger.NOTIFICATION]
    assert len(runs) == 2


async def test_a_window_message_whose_mark_is_gone_starts_nothing(app: App) -> None:
    assert await coalesced_pass(app, TENANT) is None
    assert await app.runs.page(5) == []


async def test_a_redelivered_window_message_starts_the_pass_even_after_its_first_try_took_the_mark(app: App) -> None:
    await note_changes(app, TENANT)
    ((message, _),) = queue(app).take()
    mark = await marks(app).get(TENANT)
    assert mark is not None
    await marks(app).clear(mark)  # the first delivery cleared the mark, then died before starting the run

    await handle_notify_message(app, message.to_json().encode(), tries=2)

    (run,) = await app.runs.page(5)
    assert (run.trigger, run.tenant_id) == (Trigger.NOTIFICATION, TENANT)


async def test_a_mark_whose_message_was_lost_is_armed_again_by_the_next_notification(app: App) -> None:
    await note_changes(app, TENANT)
    queue(app).take()  # the message is lost (poisoned)
    clock = app.clock
    assert isinstance(clock, FakeClock)

    clock.advance(timedelta(seconds=4))
    await note_changes(app, TENANT)
    assert queue(app).take() == []  # still inside its window: nothing lost yet

    clock.advance(STALE_MARK + timedelta(seconds=5))
    await note_changes(app, TENANT)
    ((message, _),) = queue(app).take()
    assert await coalesced_pass(app, message.tenant_id) is not None


async def test_notifications_for_a_tenant_no_longer_mapped_start_no_pass(app: App) -> None:
    await note_changes(app, TENANT)
    mapping = await app.mappings.get(TENANT)
    assert mapping is not None
    await app.mappings.save(mapping.model_copy(update={"status": MappingStatus.SKIPPED, "client_id": None}))

    assert await coalesced_pass(app, TENANT) is None
    assert await app.runs.page(5) == []


# --- lifecycle events -----------------------------------------------------------------------------------


def lifecycle(app: App, event: str, **replace: Any) -> dict[str, Any]:
    (sub,) = made(app, TENANT).created[-1:]
    item = {
        "lifecycleEvent": event,
        "subscriptionId": sub.id,
        "subscriptionExpirationDateTime": "2025-03-30T09:00:00Z",
        "clientState": sub.request.client_state,
        "tenantId": TENANT,
        "resource": "users",
    }
    return item | replace


async def test_missed_starts_a_delta_pass(app: App) -> None:
    answer = await post("/api/notifications/lifecycle", body(lifecycle(app, "missed")))

    assert answer.status_code == 202
    ((message, _),) = queue(app).take()
    run = await coalesced_pass(app, message.tenant_id)
    assert run is not None and run.trigger is Trigger.NOTIFICATION and run.incremental


async def test_subscription_removed_queues_a_new_subscription_and_a_pass(app: App) -> None:
    (old,) = made(app, TENANT).created
    del made(app, TENANT).live[old.id]

    await receive_lifecycle(app, body(lifecycle(app, "subscriptionRemoved")))
    sent = queue(app).take()
    for message, _ in sent:
        await handle_notify_message(app, message.to_json().encode())

    assert sorted(m.notify.value for m, _ in sent) == ["coalesce", "recreate"]
    assert len(made(app, TENANT).created) == 2
    assert app.subscriptions is not None
    row = await app.subscriptions.get(TENANT)
    assert row is not None and row.subscription_id == made(app, TENANT).created[1].id
    (run,) = await app.runs.page(5)
    assert run.trigger is Trigger.NOTIFICATION


async def test_reauthorization_required_is_queued_not_done_inline(app: App) -> None:
    await receive_lifecycle(app, body(lifecycle(app, "reauthorizationRequired")))

    ((message, _),) = queue(app).take()
    assert message.notify is NotifyKind.REAUTHORIZE and made(app, TENANT).renewed == []
    await handle_notify_message(app, message.to_json().encode())
    assert len(made(app, TENANT).renewed) == 1


async def test_a_forged_lifecycle_event_is_dropped(app: App) -> None:
    result = await receive_lifecycle(app, body(lifecycle(app, "subscriptionRemoved", clientState="forged")))

    assert (result.accepted, result.dropped) == (0, 1) and queue(app).sent == []


async def test_a_change_posted_to_the_lifecycle_url_is_dropped(app: App) -> None:
    result = await receive_lifecycle(app, body(change(app)))

    assert (result.accepted, result.dropped) == (0, 1)


async def test_a_manual_tenant_run_going_on_is_joined_and_followed_by_one_notification_pass(app: App) -> None:
    manual, _ = await start_run(app, RunType.TENANT, Trigger.MANUAL, tenant_id=TENANT)
    await note_changes(app, TENANT)
    ((message, _),) = queue(app).take()

    joined = await coalesced_pass(app, message.tenant_id)
    assert joined is not None and joined.run_id == manual.run_id
    ((follow_up, _),) = queue(app).take()
    await finish(app, manual)
    second = await coalesced_pass(app, follow_up.tenant_id)

    assert second is not None and second.trigger is Trigger.NOTIFICATION and second.run_id != manual.run_id
