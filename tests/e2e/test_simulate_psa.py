"""The northwind scenario through each PSA (SCENARIOS.md, `--psa`): through Syncro's and Alga's API fakes it
gives the same user outcomes as through the built-in directory, apart from what each PSA cannot hold. Those
differences are computed from the vendors' rules (`simulate_psa_support`), not tolerated: what is left must be
equal."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from shared.cli.__main__ import main
from shared.devtools import NORTHWIND
from shared.devtools.simulator import Scenario
from tests.e2e.simulate_psa_support import (
    SCENARIO_IDS,
    assert_contacts_as_the_psa_holds_them,
    assert_outcomes_match_the_directory,
    assert_requests_counted_and_never_throttled,
    expected_outcomes,
    linked_at_once,
    reports_through,
)
from tests.integration.helpers import GREENLEAF, JORDAN, NORTHSTAR, PIONEER

VENDORS = ("syncro", "alga")


@pytest.fixture(scope="module")
def reports() -> dict[str, dict[str, Any]]:
    """The northwind report through the directory and each vendor; each fake's requests conformed."""
    return reports_through(VENDORS)


@pytest.mark.parametrize("psa", VENDORS)
def test_every_user_outcome_matches_the_directory_apart_from_what_the_psa_cannot_hold(
    reports: dict[str, dict[str, Any]], northwind: Scenario, psa: str
) -> None:
    assert_outcomes_match_the_directory(reports, northwind, psa, linked={JORDAN})  # Jordan, and only him


@pytest.mark.parametrize("psa", VENDORS)
def test_the_resolution_of_a_user_the_psa_already_linked_is_refused_as_having_no_ambiguity(
    reports: dict[str, dict[str, Any]], northwind: Scenario, psa: str
) -> None:
    directory, vendor = reports["directory"], reports[psa]
    requeued = linked_at_once(directory, expected_outcomes(directory, northwind, psa))
    resolutions = [i for i, step in enumerate(northwind.steps) if any(r.user_id in requeued for r in step.resolve)]

    assert resolutions == [1]
    assert directory["steps"][1]["errors"] == []
    [error] = vendor["steps"][1]["errors"]
    assert error["kind"] == "resolve" and error["userId"] in requeued and "no ambiguity" in error["reason"]
    assert [a for a in vendor["steps"][0]["ambiguities"] if a["userId"] in requeued] == []


@pytest.mark.parametrize("psa", VENDORS)
def test_scenario_ids_are_kept_and_psa_made_records_carry_the_psas_own_ids(
    reports: dict[str, dict[str, Any]], northwind: Scenario, psa: str
) -> None:
    directory, vendor = reports["directory"], reports[psa]
    requeued = linked_at_once(directory, expected_outcomes(directory, northwind, psa))
    for index, (mine, theirs) in enumerate(zip(directory["steps"], vendor["steps"], strict=True)):
        if mine["run"] is None:
            continue
        held = {c["id"] for c in theirs["contacts"]}
        for tenant_mine, tenant_theirs in zip(mine["run"]["tenants"], theirs["run"]["tenants"], strict=True):
            assert tenant_mine["clientId"] == tenant_theirs["clientId"]  # the scenario's client ids
            ours = {u["userId"]: u["contactId"] for u in tenant_mine["users"]}
            for user in tenant_theirs["users"]:
                contact = user["contactId"]
                if index == 0 and user["userId"] in requeued:  # linked at once: to a loaded contact
                    assert contact in SCENARIO_IDS
                elif contact in SCENARIO_IDS or ours[user["userId"]] in SCENARIO_IDS:
                    assert contact == ours[user["userId"]]
                elif contact is not None:  # made by the sync: the PSA's own id, which the PSA holds
                    assert contact in held and ours[user["userId"]] not in held
    assert [m["clientId"] for m in vendor["steps"][-1]["mappings"]] == [
        m["clientId"] for m in directory["steps"][-1]["mappings"]
    ]


@pytest.mark.parametrize("psa", VENDORS)
def test_contacts_are_reported_as_the_psa_holds_them_null_where_it_cannot_hold_a_field(
    reports: dict[str, dict[str, Any]], northwind: Scenario, psa: str
) -> None:
    assert_contacts_as_the_psa_holds_them(reports, northwind, psa)


def test_syncro_suggests_by_the_customers_email_domain_for_review_having_no_website(
    reports: dict[str, dict[str, Any]],
) -> None:
    def status(report: dict[str, Any]) -> dict[str, tuple[str, list[str]]]:
        return {s["tenantId"]: (s["status"], [c["clientId"] for c in s["candidates"]]) for s in report["suggestions"]}

    directory, syncro, alga = (status(reports[p]) for p in ("directory", *VENDORS))
    assert alga == directory
    # A website match auto-matches (R1.4); Syncro's customers have none, so their email domain suggests
    # the same client for review only (R1.5), and the scenario's "confirm" takes it all the same.
    for tenant in (GREENLEAF, NORTHSTAR):
        assert directory[tenant][0] == "auto-matched" and syncro[tenant] == ("needs-review", directory[tenant][1])
    assert syncro[PIONEER] == directory[PIONEER]
    assert all(m["status"] == "confirmed" for m in reports["syncro"]["steps"][0]["mappings"][:3])


@pytest.mark.parametrize("psa", VENDORS)
def test_every_step_counts_the_psas_requests_and_the_pacing_keeps_it_from_throttling(
    reports: dict[str, dict[str, Any]], psa: str
) -> None:
    assert_requests_counted_and_never_throttled(reports, psa)
    assert "psaRequests" not in reports["directory"]["steps"][0]
    assert any("k-gl-2" in note for note in reports[psa]["psaLoad"]["notes"])


def test_the_command_takes_psa(tmp_path: Path) -> None:
    out = tmp_path / "alga.json"

    assert main(["simulate", str(NORTHWIND), "--report", str(out), "--quiet", "--psa", "alga"]) == 0

    report = json.loads(out.read_text())
    assert report["psaLoad"]["psa"] == "alga"
    assert {c["id"] for c in report["steps"][0]["contacts"]} >= {"k-gl-1", "k-gl-2", "k-gl-3", "k-ns-1"}
