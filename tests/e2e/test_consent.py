"""Onboarding a tenant without GDAP over HTTP: the admin-consent link, the simulator's consent page,
and the callback, whose signed and expiring state is checked before anything is registered."""

from __future__ import annotations

import ssl
from collections.abc import AsyncIterator
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from shared.bootstrap import set_app
from shared.devtools.environment import SimulatedEnvironment, simulated_environment
from shared.service.consent import CONSENT_SCOPE, STATE_LIFETIME, sign_state
from shared.service.discovery import discover
from tests.browser.journey import CONTOSO, with_a_tenant_without_gdap
from tests.e2e.http_support import READER, Reply, call

pytestmark = pytest.mark.integration
CALLBACK = "http://localhost/api/consent/callback"


@pytest.fixture
async def contoso() -> AsyncIterator[SimulatedEnvironment]:
    """The demo scenario plus Contoso Veterinary (no GDAP, not consented), discovered by GDAP."""
    async with simulated_environment(with_a_tenant_without_gdap()) as environment:
        set_app(environment.app)
        try:
            await discover(environment.app)
            yield environment
        finally:
            set_app(None)


def secret(env: SimulatedEnvironment) -> bytes:
    assert env.app.settings.consent_state_secret is not None
    return env.app.settings.consent_state_secret.get_secret_value().encode()


async def tenant_ids() -> set[str]:
    reply = await call("GET", "/api/tenants")
    assert reply.status == 200
    return {t["tenantId"] for t in reply.json}


async def callback(**params: str) -> Reply:
    return await call("GET", "/api/consent/callback", params=params, principal=None)


def consent_page(env: SimulatedEnvironment) -> httpx.Client:
    return httpx.Client(
        base_url=env.simulator.authority, verify=ssl.create_default_context(cafile=env.simulator.ca_path)
    )


async def test_the_link_asks_microsoft_for_the_apps_permissions_and_comes_back_to_the_callback(
    contoso: SimulatedEnvironment,
) -> None:
    reply = await call("GET", "/api/consent/link")

    assert reply.status == 200
    url = urlsplit(reply.json["url"])
    query = {k: v[0] for k, v in parse_qs(url.query).items()}
    assert f"{url.scheme}://{url.netloc}" == contoso.simulator.authority
    assert url.path == "/organizations/v2.0/adminconsent"
    assert query["client_id"] == contoso.simulator.client_id
    assert query["scope"] == CONSENT_SCOPE
    assert query["redirect_uri"] == reply.json["redirectUri"] == CALLBACK
    assert query["state"].count(".") == 2


async def test_accepting_on_the_consent_page_registers_and_discovers_the_tenant(contoso: SimulatedEnvironment) -> None:
    assert CONTOSO not in await tenant_ids()
    link = urlsplit((await call("GET", "/api/consent/link")).json["url"])
    form = {k: v[0] for k, v in parse_qs(link.query).items()}
    with consent_page(contoso) as microsoft:
        page = microsoft.get(link.path, params=form)
        answer = microsoft.post(link.path, data=form | {"tenant": CONTOSO, "decision": "accept"})
    assert page.status_code == 200 and f'<option value="{CONTOSO}" selected>' in page.text
    assert answer.status_code == 302
    back = urlsplit(answer.headers["location"])
    returned = {k: v[0] for k, v in parse_qs(back.query).items()}
    assert back._replace(query="").geturl() == CALLBACK
    assert returned == {"tenant": CONTOSO, "admin_consent": "True", "state": form["state"]}

    reply = await callback(**returned)

    assert (reply.status, reply.headers["location"]) == (303, f"/?consented={CONTOSO}")
    tenants = {t["tenantId"]: t for t in (await call("GET", "/api/tenants")).json}
    assert (tenants[CONTOSO]["source"], tenants[CONTOSO]["health"]) == ("registered", "ok")
    assert tenants[CONTOSO]["domains"] == ["contosovet.example"]
    mappings = {m["tenantId"]: m for m in (await call("GET", "/api/mappings")).json}
    assert mappings[CONTOSO]["status"] == "auto-matched"
    assert mappings[CONTOSO]["candidates"][0]["clientId"] == "c-contoso"
    assert contoso.simulator.consent_granted == [CONTOSO]


@pytest.mark.parametrize(
    "state",
    [
        pytest.param(None, id="missing"),
        pytest.param("not-a-state", id="malformed"),
        pytest.param("expired", id="older-than-15-minutes"),
        pytest.param("future", id="dated-ahead"),
        pytest.param("forged", id="signed-with-another-secret"),
        pytest.param("tampered", id="issued-at-changed"),
    ],
)
async def test_a_bad_or_expired_state_is_refused_and_registers_nothing(
    contoso: SimulatedEnvironment, state: str | None
) -> None:
    now = contoso.app.clock()
    states = {
        "expired": sign_state(secret(contoso), now - STATE_LIFETIME - timedelta(seconds=5)),
        "future": sign_state(secret(contoso), now + timedelta(minutes=5)),
        "forged": sign_state(b"another secret", now),
        "tampered": "9" + sign_state(secret(contoso), now),
    }
    contoso.simulator.configure_tenant(CONTOSO, consented=True)
    sent = {"tenant": CONTOSO, "admin_consent": "True"} | ({"state": states.get(state, state)} if state else {})
    before = await tenant_ids()

    reply = await callback(**sent)

    assert reply.status == 400
    assert reply.error["field"] == "state"
    assert await tenant_ids() == before


async def test_an_administrator_who_declines_is_sent_back_with_microsofts_reason(
    contoso: SimulatedEnvironment,
) -> None:
    state = sign_state(secret(contoso), contoso.app.clock())
    before = await tenant_ids()

    reply = await callback(state=state, error="access_denied", error_description="AADSTS65004: User declined.")

    assert reply.status == 303
    assert parse_qs(urlsplit(reply.headers["location"]).query) == {
        "consentError": ["access_denied: AADSTS65004: User declined."]
    }
    assert await tenant_ids() == before


async def test_a_callback_that_is_not_a_consent_is_refused(contoso: SimulatedEnvironment) -> None:
    state = sign_state(secret(contoso), contoso.app.clock())

    no_consent = await callback(state=state, tenant=CONTOSO, admin_consent="False")
    no_tenant = await callback(state=state, tenant="contoso.example", admin_consent="True")

    assert (no_consent.status, no_consent.error["field"]) == (400, "admin_consent")
    assert (no_tenant.status, no_tenant.error["field"]) == (400, "tenant")


async def test_a_browser_with_a_stale_link_is_told_in_words_not_json(contoso: SimulatedEnvironment) -> None:
    stale = sign_state(secret(contoso), contoso.app.clock() - timedelta(hours=1))

    reply = await call(
        "GET",
        "/api/consent/callback",
        params={"tenant": CONTOSO, "admin_consent": "True", "state": stale},
        headers={"Accept": "text/html,application/xhtml+xml"},
        principal=None,
    )

    assert (reply.status, reply.content_type) == (400, "text/html")
    assert "the consent link expired" in reply.text and "Nothing was registered" in reply.text


async def test_a_consent_link_is_for_signed_in_admins_only(contoso: SimulatedEnvironment) -> None:
    anonymous = await call("GET", "/api/consent/link", principal=None)
    reader = await call("GET", "/api/consent/link", principal=READER)
    permissions = await call("GET", "/api/consent/permissions", principal=READER)

    assert (anonymous.status, reader.status) == (401, 403)
    assert "'admin'" in reader.error["message"]
    assert permissions.status == 200
    assert "User.Read.All" in {p["name"] for p in permissions.json}


async def test_without_the_state_secret_the_link_is_unavailable_and_names_the_setting(
    contoso: SimulatedEnvironment,
) -> None:
    contoso.app.settings = contoso.app.settings.model_copy(update={"consent_state_secret": None})

    reply = await call("GET", "/api/consent/link")

    assert reply.status == 503
    assert "CONSENT_STATE_SECRET" in reply.error["message"]


async def test_the_simulated_consent_page_refuses_another_app_and_a_bad_redirect(
    contoso: SimulatedEnvironment,
) -> None:
    link = urlsplit((await call("GET", "/api/consent/link")).json["url"])
    form = {k: v[0] for k, v in parse_qs(link.query).items()}
    with consent_page(contoso) as microsoft:
        other_app = microsoft.get(link.path, params=form | {"client_id": "someone-else"})
        bad_redirect = microsoft.post(
            link.path, data=form | {"redirect_uri": "javascript:alert(1)", "decision": "accept"}
        )

    assert (other_app.status_code, bad_redirect.status_code) == (400, 400)
    assert "AADSTS700016" in other_app.text and "AADSTS50011" in bad_redirect.text
    assert contoso.simulator.consent_granted == []
