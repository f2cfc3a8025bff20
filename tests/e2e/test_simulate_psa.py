"""The northwind scenario through each PSA (SCENARIOS.md, `--psa`): through Syncro's and Alga's API fakes it
gives the same user outcomes as through the built-in directory, apart from what each PSA cannot hold. Those
differences are computed here from the vendors' rules, not tolerated: what is left must be equal."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest

from shared.bootstrap import set_app
from shared.cli.__main__ import main
from shared.devtools import NORTHWIND
from shared.devtools.environment import simulated_environment
from shared.devtools.simulate import run_scenario
from shared.devtools.simulator import Scenario, load_scenario
from tests.integration.helpers import GREENLEAF, NORTHSTAR, PIONEER

VENDORS = ("syncro", "alga")
# Report fields (camelCase) each vendor has no place for: null in its report (R8.1).
NULL_FIELDS = {
    "syncro": {"department", "officeLocation", "country", "upn"},
    "alga": {
        "street",
        "city",
        "state",
        "postalCode",
        "country",
        "department",
        "officeLocation",
        "upn",
        "inactiveReason",
    },
}
NULL_FACTS = {"syncro": {"licenses", "notes"}}  # Alga keeps no contact facts at all: `microsoft` is null
NULL_CLIENT_FACTS: dict[str, set[str]] = {"syncro": {"secureScoreMax"}, "alga": set()}
SCENARIO_IDS = {c.id for c in load_scenario(NORTHWIND).psa.contacts}


@pytest.fixture(scope="module")
def reports() -> dict[str, dict[str, Any]]:
    """The northwind report through each PSA; each vendor fake's requests all conformed to its spec."""

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


# --- what each PSA holds of the scenario's PSA data, by its own rules ------------------------------


def held_addresses(scenario: Scenario, psa: str) -> dict[str, set[str]]:
    """Each loaded contact's addresses as the PSA holds them: Syncro keeps no additional emails; Alga holds
    an address once in its whole tenant, so a later contact loses an address an earlier one holds (and a
    contact whose primary address is held is not loaded at all)."""
    held: dict[str, set[str]] = {}
    taken: set[str] = set()
    for contact in scenario.psa.contacts:
        addresses = [contact.email, *([] if psa == "syncro" else contact.additional_emails)]
        if psa == "alga":
            if contact.email.lower() in taken:
                continue
            addresses = [a for a in addresses if a.lower() not in taken]
            taken |= {a.lower() for a in addresses}
        held[contact.id] = {a.lower() for a in addresses}
    return held


def expected_outcomes(directory: dict[str, Any], scenario: Scenario, psa: str) -> list[dict[str, str]]:
    """The directory's outcomes per step, with what the PSA's holdings change: a user the directory
    queued between candidates (R3.3) matches, in the PSA, only the candidates that still hold one of the
    user's addresses: one left means linked, at that first run, and every later outcome is what the
    directory reached once a person resolved it."""
    held = held_addresses(scenario, psa)
    steps = [_outcomes(step) for step in directory["steps"]]
    first = directory["steps"][0]
    for ambiguity in first["ambiguities"]:
        user = _graph_user(scenario, ambiguity["userId"])
        mine = {a.lower() for a in _addresses(user)}
        left = [c for c in ambiguity["candidateContactIds"] if held.get(c, set()) & mine]
        if len(left) == 1:
            steps[0][ambiguity["userId"]] = "linked"
    return steps


def _outcomes(step: dict[str, Any]) -> dict[str, str]:
    run = step["run"] or {"tenants": []}
    return {u["userId"]: u["outcome"] for t in run["tenants"] for u in t["users"]}


def _graph_user(scenario: Scenario, user_id: str) -> dict[str, Any]:
    return next(u for t in scenario.tenants for u in t.users if u["id"] == user_id)


def _addresses(user: dict[str, Any]) -> list[str]:
    proxies = [p.split(":", 1)[1] for p in user.get("proxyAddresses") or [] if p.lower().startswith("smtp:")]
    return [
        a for a in (user.get("mail"), user.get("userPrincipalName"), *proxies, *(user.get("otherMails") or [])) if a
    ]


def _requeued(directory: dict[str, Any], expected: list[dict[str, str]]) -> set[str]:
    """Users queued through the directory but linked at once in the PSA."""
    return {u for u, outcome in _outcomes(directory["steps"][0]).items() if outcome == "queued"} - {
        u for u, outcome in expected[0].items() if outcome == "queued"
    }


# --- the comparisons -------------------------------------------------------------------------------


@pytest.mark.parametrize("psa", VENDORS)
def test_every_user_outcome_matches_the_directory_apart_from_what_the_psa_cannot_hold(
    reports: dict[str, dict[str, Any]], northwind: Scenario, psa: str
) -> None:
    directory, vendor = reports["directory"], reports[psa]
    expected = expected_outcomes(directory, northwind, psa)

    assert [_outcomes(step) for step in vendor["steps"]] == expected
    assert _requeued(directory, expected) == {"c6bf3e50-7be5-5be0-8e91-d6bbad13b4d0"}  # Jordan, and only him
    for step in vendor["steps"]:
        if step["run"] is not None:
            assert step["run"]["status"] == "completed" and step["run"]["counts"]["failed"] == 0


@pytest.mark.parametrize("psa", VENDORS)
def test_the_resolution_of_a_user_the_psa_already_linked_is_refused_as_having_no_ambiguity(
    reports: dict[str, dict[str, Any]], northwind: Scenario, psa: str
) -> None:
    directory, vendor = reports["directory"], reports[psa]
    requeued = _requeued(directory, expected_outcomes(directory, northwind, psa))
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
    requeued = _requeued(directory, expected_outcomes(directory, northwind, psa))
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
    directory, vendor = reports["directory"]["steps"][-1], reports[psa]["steps"][-1]
    held = held_addresses(northwind, psa)
    mine, theirs = _by_identity(directory["contacts"]), _by_identity(vendor["contacts"])
    assert set(theirs) == {key for key in mine if key[0] == "made" or key[1] in held}  # Alga: no k-bb-1

    for key, contact in theirs.items():
        ours = mine[key]
        expected = ours | {name: None for name in NULL_FIELDS[psa]}
        expected |= {
            "id": contact["id"],  # a made contact: the PSA's own id
            "additionalEmails": _additional(ours, held, key, psa),
            "microsoft": _facts(ours["microsoft"], psa),
        }
        assert _whole_name(contact) == _whole_name(ours)  # one name field in both PSAs: compared whole
        assert _named_apart(contact) == _named_apart(expected), key
    for client in vendor["clients"]:
        ours = next(c for c in directory["clients"] if c["id"] == client["id"])
        facts = ours["microsoft"]
        if facts is not None:
            facts = {k: None if k in NULL_CLIENT_FACTS[psa] else v for k, v in facts.items()}
        assert client == ours | {"microsoft": facts}


def _by_identity(contacts: list[dict[str, Any]]) -> dict[tuple[str, str], dict[str, Any]]:
    """Contacts by who they are: a loaded contact by its scenario id, a made one by its Entra user."""
    return {("loaded", c["id"]) if c["id"] in SCENARIO_IDS else ("made", c["entraUserId"]): c for c in contacts}


def _additional(ours: dict[str, Any], held: dict[str, set[str]], key: tuple[str, str], psa: str) -> list[str]:
    if psa == "syncro":
        return []  # no additional emails in Syncro
    if key[0] == "loaded":
        return [a for a in ours["additionalEmails"] if a.lower() in held[key[1]]]
    return list(ours["additionalEmails"])


def _facts(facts: dict[str, Any] | None, psa: str) -> dict[str, Any] | None:
    if facts is None or psa == "alga":
        return None  # Alga has no place for a contact's facts
    return {k: None if k in NULL_FACTS[psa] else v for k, v in facts.items()}


def _whole_name(contact: dict[str, Any]) -> str:
    return " ".join(f"{contact['firstName']} {contact['lastName']}".split())


def _named_apart(contact: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in contact.items() if k not in ("firstName", "lastName")}


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
    steps = reports[psa]["steps"]
    assert all(set(step) >= {"psaWrites", "psaRequests", "psaThrottled"} for step in steps)
    assert all(step["psaThrottled"] == 0 for step in steps)
    assert all(step["psaRequests"] >= step["psaWrites"] for step in steps)
    assert steps[0]["psaWrites"] >= 7  # at least the seven creates
    assert steps[-1]["psaWrites"] == 0 and steps[-1]["psaRequests"] > 0  # nothing changed: reads only (R7.6)
    assert "psaRequests" not in reports["directory"]["steps"][0]
    load = reports[psa]["psaLoad"]
    assert load["psa"] == psa and any("k-gl-2" in note for note in load["notes"])


def test_the_command_takes_psa(tmp_path: Path) -> None:
    out = tmp_path / "alga.json"

    assert main(["simulate", str(NORTHWIND), "--report", str(out), "--quiet", "--psa", "alga"]) == 0

    report = json.loads(out.read_text())
    assert report["psaLoad"]["psa"] == "alga"
    assert {c["id"] for c in report["steps"][0]["contacts"]} >= {"k-gl-1", "k-gl-2", "k-gl-3", "k-ns-1"}
