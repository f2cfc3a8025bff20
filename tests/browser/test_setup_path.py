"""A new operator walks the setup path on the demo scenario (northwind), in a real browser: connect,
discover, map (bulk confirm, choose, skip), preview one client's dry run, sync it, sync the rest."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import expect

from shared.devtools import NORTHWIND
from shared.devtools.environment import SimulatedEnvironment
from shared.devtools.simulator import load_scenario
from tests.browser.conftest import check_accessibility, screenshot
from tests.browser.server import ConsoleServer

pytestmark = pytest.mark.integration
LONG = 45_000  # a run goes through the real queue and the worker


@pytest.fixture(scope="module")
def server() -> Iterator[ConsoleServer]:
    with ConsoleServer(load_scenario(NORTHWIND)) as running:
        yield running


def contacts_of(server: ConsoleServer, client_id: str) -> list[Any]:
    async def read(env: SimulatedEnvironment) -> list[Any]:
        return await env.directory.list_contacts(client_id)

    return server.run(read)


def test_the_setup_path_from_nothing_to_every_client_synced(server: ConsoleServer, page: Any) -> None:

    page.goto(server.url + "/")
    expect(page).to_have_url(f"{server.url}/#/setup")
    step = page.locator("ol.steps > li.current")
    expect(step.get_by_role("heading", level=2)).to_contain_text("Connect")
    expect(step).to_contain_text("User.Read.All")
    expect(step).to_contain_text("Nothing is ever deleted")
    expect(step).to_contain_text("A blank value in Entra never overwrites")
    check_accessibility(page, "setup: connect")
    screenshot(page, "01-setup-connect")
    step.get_by_role("button", name="Continue to discovery").click()

    expect(step.get_by_role("heading", level=2)).to_contain_text("Discover")
    step.get_by_role("button", name="Discover tenants").click()
    status = page.get_by_role("status").first
    expect(status).to_contain_text("Discovery found 4 tenants")

    # Map: the two auto-matched tenants are preselected; Pioneer's best suggestion is right too.
    expect(step.get_by_role("heading", level=2)).to_contain_text("Match each tenant")
    pioneer = step.get_by_role("row", name="Pioneer Legal Services")
    expect(pioneer).to_contain_text("Pioneer Law Group")
    expect(pioneer).to_contain_text("%")  # the score, with the reason beside it
    expect(step.get_by_role("checkbox", name="Select GreenLeaf Dental Group")).to_be_checked()
    expect(step.get_by_role("checkbox", name="Select Northstar Accounting")).to_be_checked()
    check_accessibility(page, "setup: map")
    screenshot(page, "02-setup-map")
    step.get_by_role("checkbox", name="Select Pioneer Legal Services").check()
    step.get_by_role("button", name="Confirm 3 selected matches").click()
    expect(status).to_contain_text("Confirmed 3")
    expect(status).to_contain_text("Pioneer Legal Services → Pioneer Law Group")
    page.get_by_role("button", name="Skip Harbor Clinic").click()
    expect(status).to_contain_text("Harbor Clinic is skipped")

    # Preview one client: a dry run, every user's outcome with its reason, nothing written.
    expect(step.get_by_role("heading", level=2)).to_contain_text("Preview a dry run")
    before = contacts_of(server, "c-greenleaf")
    step.get_by_label("Client to preview").select_option(label="GreenLeaf Dental Group (GreenLeaf Dental Group)")
    step.get_by_role("button", name="Preview a dry run").click()
    expect(status).to_contain_text("Nothing was written", timeout=LONG)
    expect(step.get_by_role("heading", level=2)).to_contain_text("Sync GreenLeaf Dental Group")
    outcomes = step.get_by_role("table", name="What would happen to each user")
    expect(outcomes).to_contain_text("queued")  # Jordan Lee matches two contacts: a person decides
    expect(outcomes).to_contain_text("created")
    expect(step).to_contain_text("Dry run: nothing was written")
    assert contacts_of(server, "c-greenleaf") == before
    check_accessibility(page, "setup: preview")
    screenshot(page, "03-setup-preview")

    # Sync that client, then the rest.
    step.get_by_role("button", name="Sync GreenLeaf Dental Group now").click()
    expect(status).to_contain_text("GreenLeaf Dental Group synced", timeout=LONG)
    assert len(contacts_of(server, "c-greenleaf")) > len(before)
    expect(step.get_by_role("heading", level=2)).to_contain_text("Sync the remaining 2 clients")
    step.get_by_role("button", name="Sync the remaining 2 clients").click()
    expect(status).to_contain_text("Every mapped client synced", timeout=LONG)
    expect(page.get_by_role("heading", name="Setup is complete")).to_be_visible()
    check_accessibility(page, "setup: complete")
    screenshot(page, "04-setup-complete")

    # The daily view: what needs the operator now, worst first.
    page.get_by_role("link", name="Open the daily view").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Needs attention")
    item = page.locator("ol.attention > li").filter(has_text="could not be matched to one contact")
    expect(item).to_contain_text("GreenLeaf Dental Group")
    expect(item.get_by_role("button", name="Review: GreenLeaf Dental Group")).to_be_visible()
    check_accessibility(page, "needs attention")
    screenshot(page, "05-needs-attention")
