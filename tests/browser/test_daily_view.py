"""The daily view in a real browser, on the demo scenario after its first sync: settle a review item,
approve a held safety brake, change field rules (global and per tenant, a bad pattern refused before
anything is saved), read runs and download their CSV, the licence report and its CSV, the Secure Score
trend, tenants and mappings, and panels that cannot load or actions the app refuses."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from shared.devtools import NORTHWIND
from shared.devtools.environment import SimulatedEnvironment
from shared.devtools.simulator import load_scenario
from shared.models import AmbiguityStatus, RunType
from shared.models.secure_score import ScorePoint
from tests.browser.conftest import check_accessibility, screenshot
from tests.browser.journey import after_first_sync, sync_and_wait
from tests.browser.server import ConsoleServer

pytestmark = pytest.mark.integration
LONG = 45_000
GREENLEAF = "d4db95b7-337d-540d-8a9f-13b6f9b2058a"
NORTHSTAR = "d45acb64-8bba-5d09-932e-361164bfb6b2"
JORDAN = "c6bf3e50-7be5-5be0-8e91-d6bbad13b4d0"  # matches two GreenLeaf contacts: queued for review (R3.3)
PRIYA = "4f1ef08e-3883-5b5a-9263-1360474847ee"
MAYA = "e4b58502-f36d-56ba-9069-92e55c81c2bb"


@pytest.fixture(scope="module")
def server() -> Iterator[ConsoleServer]:
    with ConsoleServer(load_scenario(NORTHWIND)) as running:
        running.run(after_first_sync)
        running.run(lambda env: sync_and_wait(env, RunType.TENANT, tenant_id=NORTHSTAR, dry_run=True))
        running.run(score_history)
        yield running


async def score_history(env: SimulatedEnvironment) -> None:
    """A month of daily Secure Scores before the one the first sync read (a chart needs a history; the
    simulator's tenant has one score, and a month cannot pass in a test)."""
    latest = date(2026, 11, 22)
    for days, score in ((30, 33.0), (23, 35.5), (16, 36.0), (9, 39.0), (7, 38.5), (3, 40.0)):
        point = ScorePoint(date=latest - timedelta(days=days), current_score=score, max_score=78, tenant_id=GREENLEAF)
        await env.app.secure_scores.record("c-greenleaf", point)


def api(server: ConsoleServer, page: Any, path: str) -> Any:
    """The JSON API as the page's own session sees it (same origin, the development identity)."""
    response = page.request.get(server.url + "/api" + path)
    assert response.ok, response.text()
    return response.json()


def test_r6_2_an_operator_links_an_ambiguous_user_to_a_contact_of_the_mapped_client_only(
    server: ConsoleServer, page: Any
) -> None:
    page.goto(server.url + "/#/attention")
    page.get_by_role("button", name="Review: GreenLeaf Dental Group").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Review queue")
    card = page.locator(".card").filter(has=page.get_by_role("heading", name="Jordan Lee"))
    expect(card).to_contain_text("tenant GreenLeaf Dental Group")
    candidates = card.get_by_role("group", name="Contacts of GreenLeaf Dental Group that match Jordan Lee")
    expect(candidates.get_by_role("radio")).to_have_count(3)  # the two candidates, and "another contact"
    expect(candidates).to_contain_text("Jordan Lee (Billing) — billing@greenleafdental.example")
    other = candidates.get_by_label("Another contact of GreenLeaf Dental Group")
    offered = other.locator("option").all_inner_texts()
    assert offered and all("Owner" not in text for text in offered), offered  # Bluebird's Jordan Lee is never offered
    check_accessibility(page, "review queue")
    screenshot(page, "06-review-queue")

    candidates.get_by_label("Jordan Lee — jordan.lee@greenleafdental.example — Office Manager").check()
    card.get_by_role("button", name="Link to the chosen contact: Jordan Lee").click()
    expect(page.get_by_role("status").first).to_contain_text("Jordan Lee is linked to Jordan Lee")
    expect(page.get_by_text("Nothing waits for review.")).to_be_visible()
    settled = [a for a in api(server, page, "/ambiguities") if a["userId"] == JORDAN]
    assert settled[0]["status"] == AmbiguityStatus.RESOLVED.value and settled[0]["contactId"] == "k-gl-1"


def test_r5_5_an_operator_approves_the_inactivations_the_safety_brake_held(server: ConsoleServer, page: Any) -> None:
    page.goto(server.url + "/#/rules")
    brake = page.get_by_role("group", name="Safety brake")
    brake.get_by_label("At least").fill("1")
    brake.get_by_label("Or percent").fill("10")
    brake.get_by_role("button", name="Save safety brake").click()
    expect(page.get_by_role("status").first).to_contain_text("holds more than max(1, 10 %)")
    for user in (PRIYA, MAYA):  # two GreenLeaf users leave the company
        server.env.simulator.apply({"op": "disable", "tenantId": GREENLEAF, "userId": user})
    held = server.run(lambda env: sync_and_wait(env, RunType.ALL_TENANTS))
    assert {t.tenant_id: t.status.value for t in held.tenants}[GREENLEAF] == "held"

    page.goto(server.url + "/#/attention")
    item = page.locator("ol.attention > li").filter(has_text="held by the safety brake")
    expect(item).to_contain_text("GreenLeaf Dental Group: 2 inactivations held by the safety brake")
    screenshot(page, "07-needs-attention-brake")
    item.get_by_role("button", name="Review and approve: GreenLeaf Dental Group").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Safety brake")
    held_users = page.get_by_role("table", name="Contacts that would be inactivated in GreenLeaf Dental Group")
    expect(held_users).to_contain_text("Priya Patel")
    expect(held_users).to_contain_text("Maya Abbott")
    check_accessibility(page, "safety brake")
    screenshot(page, "08-safety-brake")
    page.get_by_role("button", name="Approve 2 inactivations in GreenLeaf Dental Group").click()
    expect(page.get_by_role("status").first).to_contain_text("2 inactivated", timeout=LONG)
    expect(page.get_by_text("Nothing is held")).to_be_visible()
    contacts = {c["entraUserId"]: c for c in api(server, page, "/clients/c-greenleaf/contacts")}
    assert contacts[PRIYA]["active"] is False and contacts[MAYA]["active"] is False


def test_r4_2_field_rules_change_globally_and_per_tenant_and_a_bad_pattern_is_named_before_saving(
    server: ConsoleServer, page: Any
) -> None:
    page.goto(server.url + "/#/rules")
    rules = page.get_by_role("group", name="Field rules")
    rules.get_by_label("Job title").uncheck()
    rules.get_by_role("button", name="Save field rules").click()
    expect(page.get_by_role("status").first).to_contain_text("Field rules saved for every tenant")
    assert api(server, page, "/settings/field-controls")["jobTitle"] is False

    before = api(server, page, "/settings/exclusions")
    patterns = page.get_by_label("Exclusion patterns")
    patterns.fill("^svc[-_.]\n^(unclosed")
    page.get_by_role("button", name="Save exclusion patterns").click()
    error = page.get_by_role("group", name="Exclusions").locator(".field-error")
    expect(error).to_contain_text("Not saved")
    expect(error).to_contain_text("^(unclosed")
    expect(patterns).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_role("alert")).to_contain_text("Exclusions not saved")
    assert api(server, page, "/settings/exclusions") == before
    check_accessibility(page, "field rules (a refused pattern)")
    screenshot(page, "09-rules-bad-pattern")

    page.get_by_label("Settings for").select_option(label="Northstar Accounting (overrides)")
    phone = page.get_by_label("Business phone")
    expect(phone).to_have_value("")  # inherited
    phone.select_option("off")
    page.get_by_role("group", name="Field rules").get_by_role("button", name="Save field rules").click()
    expect(page.get_by_role("status").first).to_contain_text("this tenant overrides 1 of them")
    row = page.get_by_role("group", name="Field rules").locator(".row").filter(has=page.get_by_label("Business phone"))
    expect(row).to_contain_text("overridden")
    assert api(server, page, f"/settings/field-controls?tenantId={NORTHSTAR}")["overrides"] == {"phone": False}
    check_accessibility(page, "field rules of a tenant")
    screenshot(page, "10-rules-tenant")


def test_runs_are_filtered_dry_runs_marked_and_a_run_downloads_as_csv(
    server: ConsoleServer, page: Any, tmp_path: Path
) -> None:
    page.goto(server.url + "/#/runs")
    runs = page.get_by_role("table", name="Runs, newest first")
    expect(runs).to_contain_text("initial")
    page.get_by_label("Dry or real").select_option("dry")
    expect(runs.locator("tbody tr")).to_have_count(1)
    expect(runs).to_contain_text("dry run")
    expect(runs).to_contain_text("Northstar Accounting")
    check_accessibility(page, "runs")
    page.get_by_label("Dry or real").select_option("real")
    page.get_by_label("Type").select_option("initial")
    expect(runs.locator("tbody tr")).to_have_count(1)
    runs.get_by_role("link").first.click()

    expect(page.get_by_role("heading", level=1)).to_contain_text("Initial run of")
    users = page.get_by_role("table", name="What happened to each user")
    expect(users).to_contain_text("Priya Patel")
    page.get_by_label("Outcome").select_option("queued")
    expect(users.locator("tbody tr")).to_have_count(1)
    expect(users).to_contain_text("2 candidate contacts")
    page.get_by_label("Outcome").select_option("")
    check_accessibility(page, "a run")
    screenshot(page, "11-run-detail")
    with page.expect_download() as download:
        page.get_by_role("link", name="Download the outcomes (CSV)").click()
    rows = list(csv.DictReader(io.StringIO(Path(download.value.path()).read_text(encoding="utf-8"))))
    by_user = {(r["tenantName"], r["displayName"]): r for r in rows}
    assert by_user[("GreenLeaf Dental Group", "Priya Patel")]["outcome"] == "created"
    assert by_user[("GreenLeaf Dental Group", "Jordan Lee")]["outcome"] == "queued"
    assert by_user[("GreenLeaf Dental Group", "Sam Rivera")]["contactId"] == "k-gl-3"
    assert {r["type"] for r in rows} == {"initial"} and {r["dryRun"] for r in rows} == {"false"}
    assert len(rows) == 14  # every user of the three mapped tenants: 8 + 4 + 2


def test_licences_download_as_csv_and_each_client_has_a_secure_score_trend(server: ConsoleServer, page: Any) -> None:
    page.goto(server.url + "/#/licences")
    report = page.get_by_role("table", name="Licences per tenant and product")
    greenleaf = report.get_by_role("row").filter(has_text="GreenLeaf Dental Group").filter(has_text="SPB")
    expect(greenleaf).to_contain_text("Microsoft 365 Business Premium")
    expect(report.get_by_role("row").filter(has_text="Northstar Accounting").first).to_contain_text("unknown")  # no P1
    chart = page.get_by_role("img", name="Secure Score of GreenLeaf Dental Group")
    expect(chart).to_have_attribute(
        "aria-label",
        "Secure Score of GreenLeaf Dental Group: 7 daily scores from 2026-10-23 to 2026-11-22; from 33 to 41.5 of 78.",
    )
    expect(page.locator(".card").filter(has=chart)).to_contain_text("7-day change +3")
    check_accessibility(page, "licences and secure score")
    screenshot(page, "12-licences")
    with page.expect_download() as download:
        page.get_by_role("link", name="Download the licence report (CSV)").click()
    text = Path(download.value.path()).read_text(encoding="utf-8")
    rows = list(csv.DictReader(io.StringIO(text)))
    spb = next(r for r in rows if r["tenantName"] == "GreenLeaf Dental Group" and r["skuPartNumber"] == "SPB")
    assert (spb["prepaid"], spb["consumed"], spb["available"]) == ("6", "4", "2")
    assert text.splitlines()[0].startswith("tenantId,tenantName,skuId,skuPartNumber,prepaid,consumed")


def test_tenants_are_unmapped_chosen_and_imported_from_the_tenants_panel(server: ConsoleServer, page: Any) -> None:
    page.goto(server.url + "/#/tenants")
    table = page.get_by_role("table", name="Tenants and their clients")
    expect(table).to_contain_text("Pioneer Law Group")
    check_accessibility(page, "tenants and mappings")
    screenshot(page, "13-tenants")
    status = page.get_by_role("status").first
    page.get_by_role("button", name="Unmap Pioneer Legal Services").click()
    expect(status).to_contain_text("Pioneer Legal Services is no longer mapped")
    page.get_by_label("Client for Pioneer Legal Services").select_option("c-pioneer")
    page.get_by_role("button", name="Map Pioneer Legal Services to the chosen client").click()
    expect(status).to_contain_text("Pioneer Legal Services is mapped to Pioneer Law Group")
    page.get_by_role("button", name="Undo skip of Harbor Clinic").click()
    expect(status).to_contain_text("Harbor Clinic is back among the tenants to map")
    page.get_by_role("button", name="Import as new client: Harbor Clinic").click()
    expect(status).to_contain_text("Harbor Clinic is imported as a new client")
    harbor = next(
        m
        for m in api(server, page, "/mappings")
        if m["status"] == "confirmed" and m["clientId"] not in ("c-greenleaf", "c-northstar", "c-pioneer")
    )
    assert any(c["id"] == harbor["clientId"] and c["name"] == "Harbor Clinic" for c in api(server, page, "/clients"))


def test_a_panel_that_cannot_load_shows_the_error_and_a_refused_action_says_why(
    server: ConsoleServer, page: Any
) -> None:
    unavailable = '{"error": {"code": "unavailable", "message": "Table Storage did not answer (AzureWebJobsStorage)"}}'
    page.route(
        "**/api/licenses", lambda route: route.fulfill(status=503, body=unavailable, content_type="application/json")
    )
    page.goto(server.url + "/#/licences")
    alert = page.get_by_role("alert").filter(has_text="Could not load the licence report")
    expect(alert).to_contain_text("Table Storage did not answer")
    expect(page.get_by_role("table", name="Licences per tenant and product")).to_have_count(0)  # no empty table
    check_accessibility(page, "a panel that could not load")
    page.unroute("**/api/licenses")
    alert.get_by_role("button", name="Try again").click()
    expect(page.get_by_role("table", name="Licences per tenant and product")).to_be_visible()

    refused = '{"error": {"code": "forbidden", "message": "reader@msp.example lacks the app role this call needs"}}'
    page.route(
        "**/api/discovery", lambda route: route.fulfill(status=403, body=refused, content_type="application/json")
    )
    page.goto(server.url + "/#/tenants")
    page.get_by_role("button", name="Run discovery").click()
    expect(page.get_by_role("alert")).to_contain_text("Refused (403): reader@msp.example lacks the app role")
