"""POST /api/webhooks/psa: a signed request is accepted once (issue 13). A replay inside the signature's
5 minutes is answered 200 with `replay: true` (a 2xx, so no sender retries it) and queues nothing."""

from __future__ import annotations

import json
import time

import pytest
from pydantic import SecretStr

from shared.devtools.environment import SimulatedEnvironment
from shared.models import TenantResult, TenantStatus
from shared.models.queue import SYNC_QUEUE
from shared.security import sign
from shared.service.runs import record_tenant_result
from tests.e2e.http_support import Reply, call, queued_messages
from tests.integration.helpers import GREENLEAF, map_northwind

SECRET = "psa-webhook-secret-for-replay-tests"


@pytest.fixture
async def mapped(env: SimulatedEnvironment) -> SimulatedEnvironment:
    await map_northwind(env)
    env.app.settings = env.app.settings.model_copy(update={"webhook_secret": SecretStr(SECRET)})
    return env


async def post(raw: bytes, stamp: int) -> Reply:
    headers = {"X-Signature-Timestamp": str(stamp), "X-Signature": sign(SECRET, stamp, raw)}
    return await call("POST", "/api/webhooks/psa", raw=raw, headers=headers, principal=None)


async def finish(env: SimulatedEnvironment, run_id: str) -> None:
    """The run is over and its message consumed: a start now would be a new run, not a join."""
    done = TenantResult(tenant_id=GREENLEAF, client_id="c-greenleaf", status=TenantStatus.SUCCEEDED)
    await record_tenant_result(env.app, run_id, done, [])
    assert env.app.storage is not None
    await env.app.storage.queue(SYNC_QUEUE).clear_messages()


async def test_the_same_signed_request_replayed_is_200_as_a_replay_and_queues_nothing(
    mapped: SimulatedEnvironment,
) -> None:
    raw, stamp = json.dumps({"event": "contact.updated", "clientId": "c-greenleaf"}).encode(), int(time.time())
    first = await post(raw, stamp)
    assert first.status == 202
    await finish(mapped, first.json["runId"])

    again = await post(raw, stamp)

    assert again.status == 200
    assert again.json["replay"] is True
    assert await queued_messages(mapped.app) == []
    assert [r.run_id for r in await mapped.app.runs.page(10)] == [first.json["runId"]]


async def test_two_different_signed_requests_are_both_accepted(mapped: SimulatedEnvironment) -> None:
    stamp = int(time.time())
    first = await post(json.dumps({"event": "contact.updated", "clientId": "c-greenleaf"}).encode(), stamp)
    await finish(mapped, first.json["runId"])

    second = await post(json.dumps({"event": "contact.created", "clientId": "c-greenleaf"}).encode(), stamp)

    assert (first.status, second.status) == (202, 202)
    assert second.json["runId"] != first.json["runId"] and second.json["joined"] is False
    assert [m["tenantId"] for m in await queued_messages(mapped.app)] == [GREENLEAF]
