"""The change-notification adapters against Azurite (issue 15): a subscription's clientState is kept in
a column of its own, never in the row's JSON; a tenant's change mark is created once per window and
re-armed or cleared only as read (ETag); a notification message shares the tenant-sync queue."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from pydantic import SecretStr

from shared.bootstrap import App
from shared.models.queue import SYNC_QUEUE, NotifyKind, NotifyMessage, is_notify_message
from shared.models.subscriptions import SubscriptionStatus, TenantSubscription
from shared.store.names import Table

pytestmark = pytest.mark.integration

TENANT = "5b1d1a7e-0c4b-4a43-9d55-3a0f6c1e2b11"
AT = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)


async def test_a_subscriptions_client_state_is_stored_apart_from_its_json(app: App) -> None:
    assert app.subscriptions is not None and app.storage is not None
    secret = "s3cr3t-client-state-" + "x" * 40
    sub = TenantSubscription(
        tenant_id=TENANT,
        status=SubscriptionStatus.ACTIVE,
        subscription_id="7c6f3a1e-0000-4000-8000-000000000001",
        client_state=SecretStr(secret),
        expires_at=AT + timedelta(days=28),
        attempted_at=AT,
    )

    await app.subscriptions.save(sub)

    (back,) = await app.subscriptions.list()
    assert back.client_state is not None and back.client_state.get_secret_value() == secret
    assert back.model_copy(update={"client_state": None}) == sub.model_copy(update={"client_state": None})
    row = await app.storage.table(Table.SUBSCRIPTIONS).get_entity("subscription", TENANT)
    assert secret not in row["json"] and row["clientState"] == secret
    await app.subscriptions.delete(TENANT)
    assert await app.subscriptions.get(TENANT) is None


async def test_a_change_mark_is_made_once_and_changed_only_as_read(app: App) -> None:
    marks = app.change_marks
    assert marks is not None

    assert await marks.create(TENANT, AT) is True
    assert await marks.create(TENANT, AT + timedelta(seconds=1)) is False  # the window is open already
    read = await marks.get(TENANT)
    assert read is not None and (read.first_at, read.armed_at) == (AT, AT)

    assert await marks.rearm(read, AT + timedelta(minutes=6)) is True
    assert await marks.clear(read) is False  # re-armed since it was read
    again = await marks.get(TENANT)
    assert again is not None and again.armed_at == AT + timedelta(minutes=6)
    assert await marks.clear(again) is True
    assert await marks.get(TENANT) is None and await marks.clear(again) is False


async def test_a_notification_message_waits_on_the_tenant_sync_queue_for_its_window(app: App) -> None:
    assert app.notify_queue is not None and app.storage is not None
    queue = app.storage.queue(SYNC_QUEUE)

    await app.notify_queue.send(NotifyMessage(notify=NotifyKind.COALESCE, tenant_id=TENANT), delay_seconds=30)
    await app.notify_queue.send(NotifyMessage(notify=NotifyKind.RECREATE, tenant_id=TENANT, subscription_id="s-1"))

    (visible,) = await queue.peek_messages(max_messages=10)  # the coalesce message is invisible for its window
    body = str(visible.content)
    assert is_notify_message(body.encode()) and json.loads(body) == {
        "notify": "recreate",
        "tenantId": TENANT,
        "subscriptionId": "s-1",
    }
    assert not is_notify_message(b'{"runId": "r1", "tenantId": "t"}') and not is_notify_message(b"not json")
