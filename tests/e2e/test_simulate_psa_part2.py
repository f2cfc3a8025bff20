"""The northwind scenario through HaloPSA's, ConnectWise PSA's and Autotask's API fakes (SCENARIOS.md,
`--psa`) gives the same user outcomes as through the built-in directory, apart from what each PSA cannot
hold, computed from the vendors' rules by the checks `test_simulate_psa` makes (`simulate_psa_support`)."""

from __future__ import annotations

from typing import Any

import pytest

from shared.devtools.simulator import Scenario
from tests.e2e.simulate_psa_support import (
    assert_contacts_as_the_psa_holds_them,
    assert_outcomes_match_the_directory,
    assert_requests_counted_and_never_throttled,
    reports_through,
)

VENDORS = ("halopsa", "connectwise", "autotask")


@pytest.fixture(scope="module")
def reports() -> dict[str, dict[str, Any]]:
    """The northwind report through the directory and each vendor; each fake's requests conformed."""
    return reports_through(VENDORS)


@pytest.mark.parametrize("psa", VENDORS)
def test_every_user_outcome_matches_the_directory_apart_from_what_the_psa_cannot_hold(
    reports: dict[str, dict[str, Any]], northwind: Scenario, psa: str
) -> None:
    # Every candidate holds its addresses: the same ambiguities as the directory's, none linked at once.
    assert_outcomes_match_the_directory(reports, northwind, psa, linked=set())


@pytest.mark.parametrize("psa", VENDORS)
def test_contacts_are_reported_as_the_psa_holds_them_null_where_it_cannot_hold_a_field(
    reports: dict[str, dict[str, Any]], northwind: Scenario, psa: str
) -> None:
    assert_contacts_as_the_psa_holds_them(reports, northwind, psa)


@pytest.mark.parametrize("psa", VENDORS)
def test_every_step_counts_the_psas_requests_and_the_pacing_keeps_it_from_throttling(
    reports: dict[str, dict[str, Any]], psa: str
) -> None:
    assert_requests_counted_and_never_throttled(reports, psa)
