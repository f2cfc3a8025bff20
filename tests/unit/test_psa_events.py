"""A PSA's own change event starts a run of the client's tenant (R8.8), once: ConnectWise callbacks and
Autotask webhooks through `shared.service.psa_events`, on fakes (no storage, no network)."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest

from shared.errors import ConfigError, NotFound
from shared.models import RunType, TenantResult, TenantStatus, Trigger
from shared.security.autotask import autotask_signature
from shared.security.connectwise import connectwise_signature
from shared.security.signature import SignatureRejected
from shared.service import psa_events
from shared.service.app import App
from shared.service.psa_events import VendorEventAnswer, accept_autotask_webhook, accept_connectwise_callback
from shared.service.runs import record_tenant_result
from tests.unit.fakes import FakeClock, FakeWebhookReceipts, FakeWorkQueue, fake, fake_app, unit_settings
from tests.unit.fakes.builders import TENANT, map_tenant

KEY_URL = "https://api-na.myconnectwise.net/v4_6_release/apis/3.0/system/callbackkey/1"
SIGNING_KEY = "cw-signing-key"
AT_SECRET = "autotask-webhook-secret"
COMPANY = "12"


class Keys:
    """The signing keys ConnectWise serves; `asked` lists every (url, refresh) asked for."""

    def __init__(self, key: str = SIGNING_KEY, *, rotated: str | None = None) -> None:
        self.key_value, self.rotated = key, rotated
        self.asked: list[tuple[str, bool]] = []

    async def key(self, url: str, *, refresh: bool = False) -> str:
        self.asked.append((url, refresh))
        return self.rotated if refresh and self.rotated else self.key_value


async def app_for(provider: str, **settings: Any) -> App:
    app = fake_app(
        clock=FakeClock(), settings=unit_settings(PSA_PROVIDER=provider, **settings), connectwise_keys=Keys()
    )
    await map_tenant(app, client_id=COMPANY)
    return app


def queued(app: App) -> list[str]:
    return [m.tenant_id for m in fake(app.queue, FakeWorkQueue).messages()]


def cw_callback(app: App, kind: str = "contact", *, key: str = SIGNING_KEY, **fields: Any) -> tuple[bytes, str]:
    entity = {"id": 30, "company": {"id": int(COMPANY)}} if kind == "contact" else {"id": int(COMPANY)}
    entity["_info"] = {"lastUpdated": app.clock().isoformat()}
    payload = {
        "MessageId": "8d0c7c9e",
        "Action": "updated",
        "Type": kind,
        "ID": 30 if kind == "contact" else int(COMPANY),
        "Entity": json.dumps(entity),
        "Metadata": {"key_url": KEY_URL},
        **fields,
    }
    body = json.dumps(payload).encode()
    return body, connectwise_signature(body, key)


def at_webhook(app: App, entity: str = "Contact", *, secret: str = AT_SECRET, **fields: Any) -> tuple[bytes, str]:
    payload = {
        "Action": "Update",
        "Guid": "0f8c",
        "EntityType": entity,
        "Id": 30 if entity == "Contact" else int(COMPANY),
        "Fields": {"companyID": int(COMPANY), "firstName": "Ann"} if entity == "Contact" else {"companyName": "NW"},
        "EventTime": app.clock().isoformat(),
        "SequenceNumber": 7,
        "PersonID": 29682885,
        **fields,
    }
    body = json.dumps(payload).encode()
    return body, autotask_signature(body, secret)


async def finish(app: App, answer: VendorEventAnswer) -> None:
    assert answer.run is not None
    done = TenantResult(tenant_id=TENANT, client_id=COMPANY, status=TenantStatus.SUCCEEDED)
    await record_tenant_result(app, answer.run.run_id, done, [])


# --- ConnectWise -----------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["contact", "company"])
async def test_r8_8_a_signed_connectwise_callback_starts_a_webhook_run_of_the_clients_tenant(kind: str) -> None:
    app = await app_for("connectwise")
    body, signature = cw_callback(app, kind)

    answer = await accept_connectwise_callback(app, body, signature)

    assert answer.started and answer.run is not None
    assert (answer.run.type, answer.run.trigger, answer.run.tenant_id) == (RunType.TENANT, Trigger.WEBHOOK, TENANT)
    assert answer.run.requested_by == f"connectwise:{kind}.updated" and queued(app) == [TENANT]


async def test_r8_8_a_wrong_connectwise_signature_is_refused_and_starts_nothing() -> None:
    app = await app_for("connectwise")
    body, signature = cw_callback(app, key="not-the-key")

    with pytest.raises(SignatureRejected, match="does not match"):
        await accept_connectwise_callback(app, body, signature)

    assert queued(app) == [] and fake(app.webhook_receipts, FakeWebhookReceipts).keys == {}


async def test_a_rotated_connectwise_key_is_fetched_again_once() -> None:
    app = await app_for("connectwise")
    keys = Keys("old-key", rotated=SIGNING_KEY)
    app.connectwise_keys = keys
    body, signature = cw_callback(app)

    answer = await accept_connectwise_callback(app, body, signature)

    assert answer.started and keys.asked == [(KEY_URL, False), (KEY_URL, True)]


@pytest.mark.parametrize(
    "key_url",
    ["https://api-na.evil.example/key", "http://api-na.myconnectwise.net/key", None],
)
async def test_r8_8_a_key_url_off_myconnectwise_is_refused_with_no_key_fetched(key_url: str | None) -> None:
    app = await app_for("connectwise")
    keys = Keys()
    app.connectwise_keys = keys
    body, signature = cw_callback(app, Metadata={"key_url": key_url})

    with pytest.raises(SignatureRejected):
        await accept_connectwise_callback(app, body, signature)

    assert keys.asked == [] and queued(app) == []


async def test_r8_8_a_replayed_connectwise_callback_starts_nothing() -> None:
    app = await app_for("connectwise")
    body, signature = cw_callback(app)
    first = await accept_connectwise_callback(app, body, signature)
    await finish(app, first)

    again = await accept_connectwise_callback(app, body, signature)

    assert again.replay and again.run is None and queued(app) == [TENANT]


async def test_a_callback_for_an_unmapped_company_or_another_kind_starts_nothing() -> None:
    app = await app_for("connectwise")
    unmapped = await accept_connectwise_callback(app, *cw_callback(app, "company", ID=99))
    ticket = await accept_connectwise_callback(app, *cw_callback(app, "ticket"))

    assert unmapped.ignored == "company 99 is not mapped to a tenant"
    assert ticket.ignored == "a ticket callback is not about contacts" and queued(app) == []


async def test_a_callback_older_than_its_receipt_is_stale_and_starts_nothing() -> None:
    app = await app_for("connectwise")
    body, signature = cw_callback(app)
    fake(app.clock, FakeClock).advance(timedelta(hours=25))

    answer = await accept_connectwise_callback(app, body, signature)

    assert answer.ignored is not None and answer.ignored.startswith("stale") and queued(app) == []


async def test_connectwise_callbacks_are_taken_only_when_the_psa_is_connectwise() -> None:
    app = await app_for("autotask")

    with pytest.raises(NotFound, match="PSA_PROVIDER is connectwise"):
        await accept_connectwise_callback(app, *cw_callback(app))


async def test_a_run_that_fails_to_start_leaves_no_receipt_so_the_retry_is_not_a_replay(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    app = await app_for("connectwise")
    body, signature = cw_callback(app)
    calls = {"n": 0}
    real = psa_events.start_run

    async def flaky(*args: Any, **kwargs: Any) -> Any:
        calls["n"] += 1
        if calls["n"] == 1:
            raise ConnectionError("queue down")
        return await real(*args, **kwargs)

    monkeypatch.setattr(psa_events, "start_run", flaky)
    with pytest.raises(ConnectionError):
        await accept_connectwise_callback(app, body, signature)
    retried = await accept_connectwise_callback(app, body, signature)

    assert calls["n"] == 2 and retried.started and queued(app) == [TENANT]


# --- Autotask --------------------------------------------------------------------------------------


@pytest.mark.parametrize("entity", ["Contact", "Account"])
async def test_r8_8_a_signed_autotask_webhook_starts_a_webhook_run_of_the_clients_tenant(entity: str) -> None:
    app = await app_for("autotask", PSA_AUTOTASK={"webhook_secret": AT_SECRET})

    answer = await accept_autotask_webhook(app, *at_webhook(app, entity))

    assert answer.started and answer.run is not None and answer.run.tenant_id == TENANT
    assert answer.run.requested_by == f"autotask:{entity.lower()}.update" and queued(app) == [TENANT]


async def test_r8_8_a_wrong_autotask_signature_is_refused_and_starts_nothing() -> None:
    app = await app_for("autotask", PSA_AUTOTASK={"webhook_secret": AT_SECRET})

    with pytest.raises(SignatureRejected):
        await accept_autotask_webhook(app, *at_webhook(app, secret="guess"))

    assert queued(app) == []


async def test_r8_8_a_replayed_autotask_webhook_starts_nothing() -> None:
    app = await app_for("autotask", PSA_AUTOTASK={"webhook_secret": AT_SECRET})
    body, signature = at_webhook(app)
    await finish(app, await accept_autotask_webhook(app, body, signature))

    again = await accept_autotask_webhook(app, body, signature)

    assert again.replay and queued(app) == [TENANT]


async def test_the_syncs_own_change_echoing_back_starts_nothing() -> None:
    app = await app_for("autotask", PSA_AUTOTASK={"webhook_secret": AT_SECRET, "api_resource_id": "29682885"})

    answer = await accept_autotask_webhook(app, *at_webhook(app))

    assert answer.ignored == "the change was the sync's own (made by the API user)" and queued(app) == []


async def test_a_contact_webhook_without_its_company_starts_nothing() -> None:
    app = await app_for("autotask", PSA_AUTOTASK={"webhook_secret": AT_SECRET})

    answer = await accept_autotask_webhook(app, *at_webhook(app, Fields={"firstName": "Ann"}))

    assert answer.ignored == "the event names no company" and queued(app) == []


async def test_without_its_secret_the_autotask_endpoint_is_unavailable_naming_the_setting() -> None:
    app = await app_for("autotask")

    with pytest.raises(ConfigError, match="PSA_AUTOTASK__WEBHOOK_SECRET"):
        await accept_autotask_webhook(app, *at_webhook(app))
