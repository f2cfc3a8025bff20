"""POST /api/webhooks/psa end to end: HMAC-signed PSA events start runs; refused ones enqueue nothing (R7)."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from typing import Any

import pytest
from pydantic import SecretStr

from shared.devtools.environment import SimulatedEnvironment
from shared.models import RunType, Trigger
from shared.security import sign
from tests.e2e.http_support import Reply, call, queued_messages
from tests.integration.helpers import GREENLEAF, NORTHSTAR, PIONEER, map_northwind

URL = "/api/webhooks/psa"
SECRET = "psa-webhook-secret-for-tests"


@pytest.fixture
async def mapped(env: SimulatedEnvironment) -> SimulatedEnvironment:
    await map_northwind(env)
    env.app.settings = env.app.settings.model_copy(update={"webhook_secret": SecretStr(SECRET)})
    return env


def signed(raw: bytes, *, at: int | None = None, secret: str = SECRET) -> dict[str, str]:
    stamp = int(time.time()) if at is None else at
    return {"X-Signature-Timestamp": str(stamp), "X-Signature": sign(secret, stamp, raw)}


async def post(raw: bytes, headers: dict[str, str]) -> Reply:
    return await call("POST", URL, raw=raw, headers=headers, principal=None)  # the PSA signs in nowhere


def event(**fields: Any) -> bytes:
    return json.dumps({"event": "contact.updated", **fields}).encode()


async def assert_nothing_started(env: SimulatedEnvironment) -> None:
    assert await queued_messages(env.app) == []
    assert await env.app.runs.page(10) == []


async def test_r7_1_a_signed_event_for_a_mapped_client_starts_a_webhook_run_of_that_tenant(
    mapped: SimulatedEnvironment,
) -> None:
    raw = event(clientId="c-greenleaf")
    reply = await post(raw, signed(raw))

    assert reply.status == 202
    assert reply.json["joined"] is False
    messages = await queued_messages(mapped.app)
    assert [(m["runId"], m["tenantId"]) for m in messages] == [(reply.json["runId"], GREENLEAF)]
    run = await mapped.app.runs.require(reply.json["runId"])
    assert (run.type, run.trigger, run.tenant_id) == (RunType.TENANT, Trigger.WEBHOOK, GREENLEAF)


async def test_r7_1_an_event_naming_a_tenant_starts_a_run_of_that_tenant(mapped: SimulatedEnvironment) -> None:
    raw = event(tenantId=NORTHSTAR)
    reply = await post(raw, signed(raw))

    assert reply.status == 202
    assert [m["tenantId"] for m in await queued_messages(mapped.app)] == [NORTHSTAR]


async def test_r7_1_an_event_without_a_mapped_client_starts_an_all_tenants_run(mapped: SimulatedEnvironment) -> None:
    raw = event(clientId="c-unknown", extra={"ignored": True})  # a PSA's other keys are ignored
    reply = await post(raw, signed(raw))

    assert reply.status == 202
    run = await mapped.app.runs.require(reply.json["runId"])
    assert (run.type, run.trigger) == (RunType.ALL_TENANTS, Trigger.WEBHOOK)
    assert sorted(m["tenantId"] for m in await queued_messages(mapped.app)) == sorted([GREENLEAF, NORTHSTAR, PIONEER])


@pytest.mark.parametrize(
    "headers",
    [
        pytest.param(lambda raw: signed(raw, secret="not-the-secret"), id="wrong-secret"),
        pytest.param(lambda raw: signed(event(clientId="c-bluebird")), id="signature-of-another-body"),
        pytest.param(lambda raw: {"X-Signature-Timestamp": str(int(time.time()))}, id="no-signature"),
        pytest.param(lambda raw: {}, id="unsigned"),
    ],
)
async def test_a_bad_or_missing_signature_is_401_and_enqueues_nothing(
    mapped: SimulatedEnvironment, headers: Any
) -> None:
    raw = event(clientId="c-greenleaf")
    reply = await post(raw, headers(raw))

    assert reply.status == 401
    assert reply.error["code"] == "unauthorized"
    await assert_nothing_started(mapped)


@pytest.mark.parametrize("age", [301, 3600, -3600], ids=["just-over-5-minutes", "an-hour-old", "an-hour-ahead"])
async def test_a_stale_or_future_timestamp_is_401_even_when_correctly_signed(
    mapped: SimulatedEnvironment, age: int
) -> None:
    raw = event(clientId="c-greenleaf")
    reply = await post(raw, signed(raw, at=int(time.time()) - age))

    assert reply.status == 401
    await assert_nothing_started(mapped)


@pytest.mark.parametrize(
    ("raw", "field"),
    [(b'{"event": "contact.updated"', None), (b"", "event"), (b'{"clientId": "c-greenleaf"}', "event")],
    ids=["malformed-json", "empty-body", "no-event"],
)
async def test_a_signed_but_malformed_body_is_400_and_enqueues_nothing(
    mapped: SimulatedEnvironment, raw: bytes, field: str | None
) -> None:
    reply = await post(raw, signed(raw))

    assert reply.status == 400
    assert reply.error.get("field") == field
    await assert_nothing_started(mapped)


async def test_without_a_configured_secret_every_request_is_refused_503(env: SimulatedEnvironment) -> None:
    await map_northwind(env)  # WEBHOOK_SECRET unset
    raw = event(clientId="c-greenleaf")
    for headers in ({}, signed(raw)):
        reply = await post(raw, headers)
        assert reply.status == 503
        assert "WEBHOOK_SECRET" in reply.error["message"]
    await assert_nothing_started(env)


async def test_r7_5_two_webhooks_at_once_give_one_run(mapped: SimulatedEnvironment) -> None:
    # Two different events (the same request twice would be a replay, answered without joining).
    one, two = event(sequence=1), event(sequence=2)
    first, second = await asyncio.gather(post(one, signed(one)), post(two, signed(two)))

    assert first.status == second.status == 202
    assert first.json["runId"] == second.json["runId"]
    assert sorted([first.json["joined"], second.json["joined"]]) == [False, True]
    assert len(await mapped.app.runs.page(10)) == 1
    assert len(await queued_messages(mapped.app)) == 3  # one message per mapped tenant, once


async def test_neither_the_secret_nor_a_signature_is_logged(
    mapped: SimulatedEnvironment, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    raw = event(clientId="c-greenleaf")
    good, bad = signed(raw), signed(raw, secret="not-the-secret")

    assert (await post(raw, bad)).status == 401
    assert (await post(raw, good)).status == 202

    logged = caplog.text
    assert "refused" in logged  # the refusal is logged, with its reason only
    for secret_value in (SECRET, good["X-Signature"], bad["X-Signature"]):
        assert secret_value.removeprefix("sha256=") not in logged


async def test_an_event_name_cannot_forge_a_log_line(
    mapped: SimulatedEnvironment, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    raw = json.dumps({"event": "contact.updated\nERROR forged line", "clientId": "c-greenleaf"}).encode()

    reply = await post(raw, signed(raw))

    assert reply.status == 202
    assert "\nERROR forged line" not in caplog.text
    assert "contact.updated\\nERROR forged line" in caplog.text  # logged, escaped on its one line
    run = await mapped.app.runs.require(reply.json["runId"])
    assert run.requested_by == "psa:contact.updated\\nERROR forged line"
