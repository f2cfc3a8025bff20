"""Change notifications Graph refused, in a real browser (issue 15): the demo scenario synced with
notifications on (the console's own server is the notification endpoint; the simulator's validation
request reaches it over HTTP) and Graph refusing Northstar Accounting's subscription. Needs attention
lists the tenant with "Try again"; a retry Graph refuses again says so as an error and keeps the item
with the new reason; once Graph accepts, the retry makes the subscription and the item goes away."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest
from playwright.sync_api import expect

from shared.devtools import NORTHWIND
from shared.devtools.environment import SimulatedEnvironment
from shared.devtools.simulator import load_scenario
from tests.browser.conftest import check_accessibility, screenshot
from tests.browser.journey import after_first_sync
from tests.browser.server import ConsoleServer

pytestmark = pytest.mark.integration
NORTHSTAR = "d45acb64-8bba-5d09-932e-361164bfb6b2"
REFUSED = "Insufficient privileges to complete the operation."
REFUSED_AGAIN = "Subscriptions are not allowed for this tenant yet."


@pytest.fixture(scope="module")
def server() -> Iterator[ConsoleServer]:
    with ConsoleServer(load_scenario(NORTHWIND)) as running:
        running.run(lambda env: notifications_on(env, running.url))
        fault = running.env.simulator.fail(403, tenant=NORTHSTAR, path="/subscriptions", times=None, message=REFUSED)
        try:
            running.run(after_first_sync)  # confirming each tenant subscribes it; Graph refuses Northstar's
        finally:
            running.env.simulator.remove_fault(fault)
        yield running


async def notifications_on(env: SimulatedEnvironment, base_url: str) -> None:
    env.app.settings = env.app.settings.model_copy(update={"notifications_enabled": True, "notification_url": base_url})


def subscription_of(server: ConsoleServer, page: Any, tenant_id: str) -> dict[str, Any]:
    """The tenant's row of `GET /api/subscriptions`, as the page's own session sees it."""
    response = page.request.get(server.url + "/api/subscriptions")
    assert response.ok, response.text()
    report = response.json()
    assert report["enabled"] is True
    (row,) = [t for t in report["tenants"] if t["tenantId"] == tenant_id]
    return row


def test_a_subscription_graph_refused_is_tried_again_from_needs_attention(server: ConsoleServer, page: Any) -> None:
    refused = subscription_of(server, page, NORTHSTAR)
    assert (refused["status"], refused["subscriptionId"]) == ("refused", None)
    assert REFUSED in refused["error"]
    assert server.env.simulator.subscriptions.active(NORTHSTAR) == []

    page.goto(server.url + "/#/attention")
    item = page.locator("ol.attention > li").filter(has_text="no change notifications")
    expect(item).to_have_count(1)
    expect(item).to_contain_text("Northstar Accounting: no change notifications; changes come with the hourly sync")
    expect(item).to_contain_text(REFUSED)
    retry = item.get_by_role("button", name="Try again: Northstar Accounting")
    expect(retry).to_be_enabled()
    listed = page.locator("ol.attention > li").count()
    count = page.locator('#nav a[href="#/attention"] .count')  # the nav's number of items
    expect(count).to_have_text(re.compile(rf"^{listed}\b"))

    # Graph refuses again: the operator reads why, as an error; the item stays, with the new reason.
    fault = server.env.simulator.fail(403, tenant=NORTHSTAR, path="/subscriptions", times=None, message=REFUSED_AGAIN)
    try:
        retry.click()
        alert = page.get_by_role("alert")
        expect(alert).to_contain_text("Graph refused again")
        expect(alert).to_contain_text(REFUSED_AGAIN)
    finally:
        server.env.simulator.remove_fault(fault)
    assert fault.hits >= 1
    expect(item).to_have_count(1)
    expect(item).to_contain_text(REFUSED_AGAIN)
    retry = item.get_by_role("button", name="Try again: Northstar Accounting")
    expect(retry).to_be_enabled()
    again = subscription_of(server, page, NORTHSTAR)
    assert again["status"] == "refused" and REFUSED_AGAIN in again["error"]
    assert datetime.fromisoformat(again["attemptedAt"]) > datetime.fromisoformat(refused["attemptedAt"])
    check_accessibility(page, "needs attention (a subscription refused again)")
    screenshot(page, "17-subscription-retry")

    # Graph accepts: the retry makes the subscription, says so, and the item goes away.
    retry.click()
    status = page.get_by_role("status").first
    expect(status).to_contain_text("Change notifications are on for Northstar Accounting")
    expect(page.get_by_role("alert")).to_have_count(0)
    expect(item).to_have_count(0)
    expect(page.get_by_role("button", name="Try again: Northstar Accounting")).to_have_count(0)
    expect(page.locator("ol.attention > li")).to_have_count(listed - 1)
    expect(count).to_have_text(re.compile(rf"^{listed - 1}\b"))  # not the count from before the retry
    made = subscription_of(server, page, NORTHSTAR)
    assert made["status"] == "active" and made["subscriptionId"] and made["error"] is None
    (sub,) = server.env.simulator.subscriptions.active(NORTHSTAR)
    assert sub.id == made["subscriptionId"]
    check_accessibility(page, "needs attention (the subscription made)")
