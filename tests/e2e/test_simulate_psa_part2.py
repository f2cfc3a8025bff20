"""The northwind scenario through HaloPSA's, ConnectWise PSA's and Autotask's API fakes (SCENARIOS.md,
`--psa`) gives the same user outcomes as through the built-in directory, apart from what each PSA cannot
hold, computed from the vendors' rules as in `test_simulate_psa` (whose helpers this reuses)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from shared.bootstrap import set_app
from shared.devtools import NORTHWIND
from shared.devtools.environment import simulated_environment
from shared.devtools.simulate import run_scenario
from shared.devtools.simulator import Scenario, load_scenario
from tests.e2e.test_simulate_psa import (
    _additional,
    _by_identity,
    _named_apart,
    _outcomes,
    _requeued,
    expected_outcomes,
    held_addresses,
)

VENDORS = ("halopsa", "connectwise", "autotask")
# Report fields (camelCase) each vendor has no place for: null in its report (R8.1).
NULL_FIELDS = {
    "halopsa": {"officeLocation", "country", "upn", "inactiveReason"},
    "connectwise": {"department", "officeLocation", "country", "upn", "inactiveReason"},
    "autotask": {"department", "officeLocation", "country", "upn", "inactiveReason"},
}
NULL_FACTS = {"licenses", "notes"}  # the highest licence's name is kept, not every SKU
NULL_CLIENT_FACTS = {"secureScoreMax"}
NULL_CLIENT_FIELDS = {"halopsa": {"mainEmail"}, "connectwise": {"mainEmail"}, "autotask": {"mainEmail", "billingEmail"}}


@pytest.fixture(scope="module")
def reports() -> dict[str, dict[str, Any]]:
    """The northwind report through the directory and each vendor; each fake's requests conformed."""

    async def one(psa: str) -> dict[str, Any]:
        scenario = load_scenario(NORTHWIND)
        async with simulated_environment(scenario, psa=psa) as env:
            set_app(env.app)
            try:
                report = await run_scenario(scenario, env)
            finally:
                set_app(None)
            if env.fake is not None:
                env.fake.assert_conformant()
                assert env.fake.deletes == []
            return report

    return {psa: asyncio.run(one(psa)) for psa in ("directory", *VENDORS)}


@pytest.mark.parametrize("psa", VENDORS)
def test_every_user_outcome_matches_the_directory_apart_from_what_the_psa_cannot_hold(
    reports: dict[str, dict[str, Any]], northwind: Scenario, psa: str
) -> None:
    directory, vendor = reports["directory"], reports[psa]
    expected = expected_outcomes(directory, northwind, psa)

    assert [_outcomes(step) for step in vendor["steps"]] == expected
    assert _requeued(directory, expected) == set()  # every candidate holds its addresses: same ambiguities
    for step in vendor["steps"]:
        if step["run"] is not None:
            assert step["run"]["status"] == "completed" and step["run"]["counts"]["failed"] == 0


@pytest.mark.parametrize("psa", VENDORS)
def test_contacts_are_reported_as_the_psa_holds_them_null_where_it_cannot_hold_a_field(
    reports: dict[str, dict[str, Any]], northwind: Scenario, psa: str
) -> None:
    directory, vendor = reports["directory"]["steps"][-1], reports[psa]["steps"][-1]
    held = held_addresses(northwind, psa)
    mine, theirs = _by_identity(directory["contacts"]), _by_identity(vendor["contacts"])
    assert set(theirs) == set(mine)

    for key, contact in theirs.items():
        ours = mine[key]
        expected = ours | {name: None for name in NULL_FIELDS[psa]}
        facts = ours["microsoft"]
        expected |= {
            "id": contact["id"],  # a made contact: the PSA's own id
            "additionalEmails": _additional(ours, held, key, psa),
            "microsoft": None if facts is None else {k: None if k in NULL_FACTS else v for k, v in facts.items()},
        }
        assert _named_apart(contact) == _named_apart(expected), key
        assert (contact["firstName"], contact["lastName"]) == (ours["firstName"], ours["lastName"])  # two fields
    for client in vendor["clients"]:
        ours = next(c for c in directory["clients"] if c["id"] == client["id"])
        facts = ours["microsoft"]
        if facts is not None:
            facts = {k: None if k in NULL_CLIENT_FACTS else v for k, v in facts.items()}
        unheld = {name: None for name in NULL_CLIENT_FIELDS[psa] if name in ours}
        assert client == ours | {"microsoft": facts} | unheld


@pytest.mark.parametrize("psa", VENDORS)
def test_every_step_counts_the_psas_requests_and_the_pacing_keeps_it_from_throttling(
    reports: dict[str, dict[str, Any]], psa: str
) -> None:
    steps = reports[psa]["steps"]
    assert all(step["psaThrottled"] == 0 for step in steps)
    assert all(step["psaRequests"] >= step["psaWrites"] for step in steps)
    assert steps[0]["psaWrites"] >= 7  # at least the seven creates
    assert steps[-1]["psaWrites"] == 0 and steps[-1]["psaRequests"] > 0  # nothing changed: reads only (R7.6)
    assert reports[psa]["psaLoad"]["psa"] == psa
