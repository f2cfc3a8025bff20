"""ConnectWise PSA's callbacks and Autotask's webhooks end to end (R8.8): signed by the vendors' fakes
exactly as the vendors sign them, posted to the FastAPI app in process (ASGI), runs started on the real
queue in Azurite. A valid event queues one message for the mapped tenant; a wrong signature is 401; a
replay queues nothing; a key URL on a foreign host is refused with no key fetched."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from pydantic import SecretStr

from shared.bootstrap import App
from shared.config import PsaProvider
from shared.devtools.psa_fakes import (
    KEY_HOST,
    AutotaskFake,
    AutotaskWebhooks,
    ConnectWiseCallbacks,
    ConnectWiseFake,
    HostMap,
    SignedCallback,
)
from shared.models import Mapping, MappingStatus, RunType, Tenant, Trigger
from shared.psa.connectwise import ConnectWiseKeyFetcher
from tests.e2e.http_support import Reply, call, queued_messages
from tests.integration.psa_fakes_http import spec

TENANT = "3b0c1a9e-5d7f-4c53-9a55-0d6f6c0e2a11"
SECRET = "autotask-webhook-secret-for-e2e"


async def mapped(app: App, client_id: str) -> None:
    await app.tenants.save_many([Tenant(tenant_id=TENANT, display_name="Northwind", domains=["nw.example"])])
    await app.mappings.save(Mapping(tenant_id=TENANT, status=MappingStatus.CONFIRMED, client_id=client_id))


async def post(path: str, callback: SignedCallback) -> Reply:
    return await call("POST", path, raw=callback.body, headers=callback.headers, principal=None)


# --- ConnectWise PSA -------------------------------------------------------------------------------


@pytest.fixture
def cw() -> Iterator[ConnectWiseFake]:
    with ConnectWiseFake(spec=spec("connectwise")) as fake:
        yield fake
        fake.assert_conformant()


@pytest.fixture
async def keys(cw: ConnectWiseFake) -> AsyncIterator[HostMap]:
    transport = HostMap({KEY_HOST: cw.root_url})
    yield transport
    await transport.aclose()


@pytest.fixture
async def cw_app(app: App, cw: ConnectWiseFake, keys: HostMap) -> AsyncIterator[App]:
    company = cw.load(clients=[{"identifier": "Northwind", "name": "Northwind"}]).clients[0]
    cw.load(contacts=[{"firstName": "Ann", "lastName": "Lee", "company": {"id": company}}])
    app.settings = app.settings.model_copy(update={"psa_provider": PsaProvider.CONNECTWISE})
    client = httpx.AsyncClient(transport=keys)
    app.connectwise_keys = ConnectWiseKeyFetcher(client)
    await mapped(app, str(company))
    yield app
    await client.aclose()


async def test_r8_8_a_signed_connectwise_callback_starts_a_run_of_the_mapped_tenant(
    cw_app: App, cw: ConnectWiseFake
) -> None:
    reply = await post("/api/webhooks/connectwise", ConnectWiseCallbacks(cw).contact(1))

    assert reply.status == 202 and reply.json["joined"] is False and reply.json["replay"] is False
    assert [(m["runId"], m["tenantId"]) for m in await queued_messages(cw_app)] == [(reply.json["runId"], TENANT)]
    run = await cw_app.runs.require(reply.json["runId"])
    assert (run.type, run.trigger, run.tenant_id) == (RunType.TENANT, Trigger.WEBHOOK, TENANT)
    assert cw.key_fetches == 1


async def test_r8_8_a_company_callback_starts_the_run_too_and_the_key_is_cached(
    cw_app: App, cw: ConnectWiseFake
) -> None:
    sender = ConnectWiseCallbacks(cw)
    first = await post("/api/webhooks/connectwise", sender.company(1))
    second = await post("/api/webhooks/connectwise", sender.contact(1))

    assert (first.status, second.status) == (202, 202) and second.json["joined"] is True  # R7.5
    assert len(await queued_messages(cw_app)) == 1 and cw.key_fetches == 1


async def test_r8_8_a_wrong_connectwise_signature_is_401_and_queues_nothing(cw_app: App, cw: ConnectWiseFake) -> None:
    reply = await post("/api/webhooks/connectwise", ConnectWiseCallbacks(cw).contact(1, wrong_signature=True))

    assert reply.status == 401 and "signature" in reply.error["message"]
    assert await queued_messages(cw_app) == [] and await cw_app.runs.page(10) == []


async def test_r8_8_a_replayed_connectwise_callback_is_answered_and_queues_nothing(
    cw_app: App, cw: ConnectWiseFake
) -> None:
    callback = ConnectWiseCallbacks(cw).contact(1)
    first = await post("/api/webhooks/connectwise", callback)

    again = await post("/api/webhooks/connectwise", callback)

    assert first.status == 202 and again.status == 200 and again.json["replay"] is True
    assert [m["runId"] for m in await queued_messages(cw_app)] == [first.json["runId"]]


async def test_r8_8_a_key_url_on_a_foreign_host_is_refused_with_no_key_fetched(
    cw_app: App, cw: ConnectWiseFake, keys: HostMap
) -> None:
    reply = await post("/api/webhooks/connectwise", ConnectWiseCallbacks(cw).contact(1, key_host="api-na.evil.example"))

    assert reply.status == 401 and "myconnectwise.net" in reply.error["message"]
    assert cw.key_fetches == 0 and keys.attempts == [] and await queued_messages(cw_app) == []


async def test_a_callback_for_an_unmapped_company_is_answered_and_starts_nothing(
    cw_app: App, cw: ConnectWiseFake
) -> None:
    other = cw.load(clients=[{"identifier": "Southwind", "name": "Southwind"}]).clients[0]

    reply = await post("/api/webhooks/connectwise", ConnectWiseCallbacks(cw).company(other))

    assert reply.status == 200 and reply.json["ignored"] == f"company {other} is not mapped to a tenant"
    assert await queued_messages(cw_app) == []


async def test_junk_posted_to_the_connectwise_endpoint_is_401_never_a_500(cw_app: App) -> None:
    for raw, headers in [
        (b"", {}),
        (b"[1, 2]", {"x-content-signature": "x"}),
        (b"\xff\xfe", {"x-content-signature": "x"}),
    ]:
        reply = await call("POST", "/api/webhooks/connectwise", raw=raw, headers=headers, principal=None)
        assert reply.status == 401
    assert await queued_messages(cw_app) == []


async def test_the_connectwise_endpoint_is_404_when_the_psa_is_another(app: App, cw: ConnectWiseFake) -> None:
    reply = await post("/api/webhooks/connectwise", ConnectWiseCallbacks(cw).contact(1))

    assert reply.status == 404 and await queued_messages(app) == []


# --- Autotask --------------------------------------------------------------------------------------


@pytest.fixture
def autotask() -> Iterator[AutotaskFake]:
    with AutotaskFake(spec=spec("autotask")) as fake:
        yield fake
        fake.assert_conformant()


@pytest.fixture
async def at_app(app: App, autotask: AutotaskFake) -> App:
    company = autotask.load(clients=[{"companyName": "Northwind", "companyType": 1}]).clients[0]
    autotask.load(contacts=[{"companyID": company, "firstName": "Ann", "lastName": "Lee", "isActive": 1}])
    conn = app.settings.psa_autotask.model_copy(update={"webhook_secret": SecretStr(SECRET)})
    app.settings = app.settings.model_copy(update={"psa_provider": PsaProvider.AUTOTASK, "psa_autotask": conn})
    await mapped(app, str(company))
    return app


@pytest.mark.parametrize("kind", ["contact", "company"])
async def test_r8_8_a_signed_autotask_webhook_starts_a_run_of_the_mapped_tenant(
    at_app: App, autotask: AutotaskFake, kind: str
) -> None:
    sender = AutotaskWebhooks(SECRET, fake=autotask)
    hook = sender.contact(1) if kind == "contact" else sender.company(1)

    reply = await post("/api/webhooks/autotask", hook)

    assert reply.status == 202 and reply.headers["location"] == f"/api/runs/{reply.json['runId']}"
    assert [(m["runId"], m["tenantId"]) for m in await queued_messages(at_app)] == [(reply.json["runId"], TENANT)]


async def test_r8_8_a_wrong_autotask_signature_is_401_and_queues_nothing(at_app: App, autotask: AutotaskFake) -> None:
    reply = await post(
        "/api/webhooks/autotask", AutotaskWebhooks(SECRET, fake=autotask).contact(1, wrong_signature=True)
    )

    assert reply.status == 401 and await queued_messages(at_app) == [] and await at_app.runs.page(10) == []


async def test_r8_8_a_replayed_autotask_webhook_is_answered_and_queues_nothing(
    at_app: App, autotask: AutotaskFake
) -> None:
    hook = AutotaskWebhooks(SECRET, fake=autotask).contact(1)
    first = await post("/api/webhooks/autotask", hook)

    again = await post("/api/webhooks/autotask", hook)

    assert first.status == 202 and again.status == 200 and again.json["replay"] is True
    assert len(await queued_messages(at_app)) == 1


async def test_without_the_autotask_secret_the_endpoint_is_503_naming_the_setting(
    app: App, autotask: AutotaskFake
) -> None:
    app.settings = app.settings.model_copy(update={"psa_provider": PsaProvider.AUTOTASK})

    reply = await post("/api/webhooks/autotask", AutotaskWebhooks(SECRET, fake=autotask).contact(1))

    assert reply.status == 503 and "PSA_AUTOTASK__WEBHOOK_SECRET" in reply.error["message"]
    assert await queued_messages(app) == []
