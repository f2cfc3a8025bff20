"""Onboarding a tenant without GDAP, in a real browser: the console's consent link, Microsoft's
admin-consent page (the Graph simulator's, over https with a self-signed certificate), Accept, and
back to the console with the tenant registered, read and suggested a client; Cancel registers nothing."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import expect

from shared.devtools.environment import SimulatedEnvironment
from shared.service.discovery import discover
from shared.service.mappings import refresh_suggestions
from tests.browser.conftest import check_accessibility, screenshot
from tests.browser.journey import CONTOSO, with_a_tenant_without_gdap
from tests.browser.server import ConsoleServer

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def server() -> Iterator[ConsoleServer]:
    async def discovered(env: SimulatedEnvironment) -> None:  # what POST /api/discovery does
        await discover(env.app)
        await refresh_suggestions(env.app)

    with ConsoleServer(with_a_tenant_without_gdap()) as running:
        running.run(discovered)
        yield running


def tenants(server: ConsoleServer, page: Any) -> dict[str, Any]:
    response = page.request.get(server.url + "/api/tenants")
    assert response.ok, response.text()
    return {t["tenantId"]: t for t in response.json()}


def open_consent_page(server: ConsoleServer, page: Any, *, shoot: bool = False) -> None:
    page.goto(server.url + "/#/tenants")
    page.get_by_role("button", name="Connect a tenant without GDAP").click()
    dialog = page.get_by_role("dialog", name="Connect a tenant without GDAP")
    dialog.get_by_role("button", name="Get the consent link").click()
    link = dialog.get_by_label("Admin-consent link")
    consent_page = f"{server.env.simulator.authority}/organizations/v2.0/adminconsent?client_id=sim-client-id&"
    expect(link).to_have_value(re.compile("^" + re.escape(consent_page)))
    expect(dialog).to_contain_text("/api/consent/callback")
    if shoot:
        check_accessibility(page, "the consent-link dialog")
        screenshot(page, "14-consent-link")
    dialog.get_by_role("link", name="Open the consent page here").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Permissions requested")


def test_a_tenant_without_gdap_is_onboarded_by_its_administrator_accepting_the_consent_link(
    server: ConsoleServer, page: Any
) -> None:
    assert CONTOSO not in tenants(server, page)  # not found by GDAP discovery
    open_consent_page(server, page, shoot=True)
    expect(page.get_by_label("Signed in as the administrator of")).to_have_value(CONTOSO)  # the one not consented
    expect(page.get_by_role("list")).to_contain_text("User.Read.All")
    screenshot(page, "15-consent-microsoft")
    page.get_by_role("button", name="Accept").click()

    expect(page).to_have_url(f"{server.url}/#/tenants")
    expect(page.get_by_role("status").filter(has_text="Contoso Veterinary is connected")).to_contain_text(
        "registered and read (contosovet.example)"
    )
    row = page.get_by_role("row", name="Contoso Veterinary")
    expect(row).to_contain_text("no GDAP")
    expect(row).to_contain_text("auto-matched")
    check_accessibility(page, "tenants after consent")
    screenshot(page, "16-consent-connected")
    contoso = tenants(server, page)[CONTOSO]
    assert (contoso["source"], contoso["health"], contoso["domains"]) == ("registered", "ok", ["contosovet.example"])
    assert server.env.simulator.consent_granted == [CONTOSO]


def test_an_administrator_who_cancels_registers_nothing_and_the_console_says_so(
    server: ConsoleServer, page: Any
) -> None:
    known = set(tenants(server, page))
    open_consent_page(server, page)
    page.get_by_label("Signed in as the administrator of").select_option(label="Harbor Clinic (consented, GDAP)")
    page.get_by_role("button", name="Cancel").click()
    expect(page.get_by_role("alert")).to_contain_text("did not consent: access_denied: AADSTS65004")
    assert set(tenants(server, page)) == known


def test_a_forged_consent_callback_is_refused_and_registers_nothing(server: ConsoleServer, page: Any) -> None:
    known = set(tenants(server, page))
    forged = "/api/consent/callback?tenant=7893f28e-f7e8-508b-beeb-55b763029caf&admin_consent=True&state=1.abc.def"
    response = page.goto(server.url + forged)
    assert response is not None and response.status == 400
    expect(page.get_by_role("heading", level=1)).to_have_text("Consent not recorded")
    expect(page.get_by_role("main")).to_contain_text("not issued by this app")
    assert set(tenants(server, page)) == known
