"""A signed PSA webhook request is accepted once (issue 13): its replay starts nothing. On fakes."""

from __future__ import annotations

import json

import pytest

from shared.errors import ConfigError, NotFound
from shared.models import RunType, TenantResult, TenantStatus
from shared.security import replay_key, sign, verify
from shared.service.app import App
from shared.service.runs import record_tenant_result
from shared.service.webhook import PsaEventAnswer, accept_psa_event
from tests.unit.fakes import FakeClock, FakeWorkQueue, fake, fake_app
from tests.unit.fakes.builders import CLIENT, TENANT, map_tenant

SECRET = "webhook-secret-for-unit-tests"


@pytest.fixture
async def app() -> App:
    application = fake_app(clock=FakeClock())
    await map_tenant(application)
    return application


def body(**fields: str) -> bytes:
    return json.dumps({"event": "contact.updated", **fields}).encode()


async def deliver(app: App, raw: bytes, stamp: int, signature: str | None = None) -> PsaEventAnswer:
    """What the HTTP route does: verify the signature over the exact bytes, then accept the event."""
    now = app.clock().timestamp()
    signed_at = verify(SECRET, str(stamp), signature or sign(SECRET, stamp, raw), raw, now=now)
    event = json.loads(raw)
    return await accept_psa_event(app, event["event"], signed_at=signed_at, body=raw, client_id=event.get("clientId"))


async def finish(app: App, answer: PsaEventAnswer) -> None:
    assert answer.run is not None
    done = TenantResult(tenant_id=TENANT, client_id=CLIENT, status=TenantStatus.SUCCEEDED)
    await record_tenant_result(app, answer.run.run_id, done, [])


def queued(app: App) -> int:
    return len(fake(app.queue, FakeWorkQueue).sent)


async def test_the_same_signed_request_again_after_its_run_finished_starts_nothing(app: App) -> None:
    raw, stamp = body(clientId=CLIENT), int(app.clock().timestamp())
    first = await deliver(app, raw, stamp)
    assert first.run is not None and first.started and first.run.type is RunType.TENANT
    await finish(app, first)

    again = await deliver(app, raw, stamp)

    assert again.replay and again.run is None
    assert queued(app) == 1
    assert [r.run_id for r in await app.runs.page(10)] == [first.run.run_id]


async def test_a_replay_with_the_digest_in_capitals_is_still_a_replay(app: App) -> None:
    raw, stamp = body(clientId=CLIENT), int(app.clock().timestamp())
    await finish(app, await deliver(app, raw, stamp))
    shouted = "sha256=" + sign(SECRET, stamp, raw).removeprefix("sha256=").upper()

    assert (await deliver(app, raw, stamp, shouted)).replay
    assert queued(app) == 1


async def test_two_different_signed_requests_are_both_accepted(app: App) -> None:
    stamp = int(app.clock().timestamp())
    first = await deliver(app, body(clientId=CLIENT), stamp)
    await finish(app, first)

    other_body = await deliver(app, body(clientId=CLIENT, note="second change"), stamp)
    assert other_body.run is not None and other_body.started
    await finish(app, other_body)
    later = await deliver(app, body(clientId=CLIENT), stamp + 1)

    assert later.run is not None and later.started
    assert queued(app) == 3


async def test_a_request_whose_run_could_not_start_is_not_taken_for_a_replay_when_retried(app: App) -> None:
    raw, stamp = body(), int(app.clock().timestamp())
    signed_at = verify(SECRET, str(stamp), sign(SECRET, stamp, raw), raw, now=stamp)
    for _ in range(2):  # the same refusal each time, never "a replay"
        with pytest.raises(NotFound):
            await accept_psa_event(app, "contact.updated", signed_at=signed_at, body=raw, tenant_id="t-unmapped")
    assert queued(app) == 0


async def test_without_a_receipt_store_the_webhook_refuses_rather_than_risk_replays(app: App) -> None:
    app.webhook_receipts = None
    raw = body()
    with pytest.raises(ConfigError):
        await accept_psa_event(app, "contact.updated", signed_at=1_700_000_000, body=raw)
    assert queued(app) == 0


def test_the_replay_key_is_the_timestamp_and_the_exact_body() -> None:
    assert replay_key(1_700_000_000, b"{}") == replay_key(1_700_000_000, b"{}")
    assert replay_key(1_700_000_000, b"{}") != replay_key(1_700_000_001, b"{}")
    assert replay_key(1_700_000_000, b"{}") != replay_key(1_700_000_000, b"{ }")
