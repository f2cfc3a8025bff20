"""The northwind scenario through each vendor's API fake compared with the built-in directory, for
`test_simulate_psa` (Syncro, Alga) and `test_simulate_psa_part2` (HaloPSA, ConnectWise, Autotask): the
reports, what each PSA holds of the scenario by its own rules, and the checks both files make. Two files,
not one: each runs on its own xdist worker (`--dist loadfile`), and the five vendors' reports take too long
for one."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from typing import Any

from shared.bootstrap import set_app
from shared.devtools import NORTHWIND
from shared.devtools.environment import simulated_environment
from shared.devtools.simulate import run_scenario
from shared.devtools.simulator import Scenario, load_scenario

__all__ = [
    "SCENARIO_IDS",
    "assert_contacts_as_the_psa_holds_them",
    "assert_outcomes_match_the_directory",
    "assert_requests_counted_and_never_throttled",
    "expected_outcomes",
    "linked_at_once",
    "reports_through",
]

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
    "halopsa": {"officeLocation", "country", "upn", "inactiveReason"},
    "connectwise": {"department", "officeLocation", "country", "upn", "inactiveReason"},
    "autotask": {"department", "officeLocation", "country", "upn", "inactiveReason"},
}
# A contact's facts each vendor has no place for: the highest licence's name is kept, not every SKU.
# Alga keeps no contact facts at all: `microsoft` is null.
NULL_FACTS = {vendor: {"licenses", "notes"} for vendor in ("syncro", "halopsa", "connectwise", "autotask")}
NULL_CLIENT_FACTS = {vendor: {"secureScoreMax"} for vendor in ("syncro", "halopsa", "connectwise", "autotask")}
NULL_CLIENT_FACTS["alga"] = set()
# A client's fields a vendor has no place for (Syncro's and Alga's clients hold every one reported).
NULL_CLIENT_FIELDS = {"halopsa": {"mainEmail"}, "connectwise": {"mainEmail"}, "autotask": {"mainEmail", "billingEmail"}}
ONE_NAME_FIELD = {"syncro", "alga"}  # a contact's name in one field: compared whole, not first and last
SCENARIO_IDS = {c.id for c in load_scenario(NORTHWIND).psa.contacts}


def reports_through(vendors: Iterable[str]) -> dict[str, dict[str, Any]]:
    """The northwind report through the directory and each of `vendors`; each vendor fake's requests all
    conformed to its spec, and none was a DELETE."""

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

    return {psa: asyncio.run(one(psa)) for psa in ("directory", *vendors)}


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


def linked_at_once(directory: dict[str, Any], expected: list[dict[str, str]]) -> set[str]:
    """Users queued through the directory but linked at once in the PSA."""
    return {u for u, outcome in _outcomes(directory["steps"][0]).items() if outcome == "queued"} - {
        u for u, outcome in expected[0].items() if outcome == "queued"
    }


# --- the checks both files make --------------------------------------------------------------------


def assert_outcomes_match_the_directory(
    reports: dict[str, dict[str, Any]], scenario: Scenario, psa: str, linked: set[str]
) -> None:
    """Every user outcome is the directory's apart from what the PSA cannot hold; `linked`: the users
    the directory queued that the PSA links at once."""
    directory, vendor = reports["directory"], reports[psa]
    expected = expected_outcomes(directory, scenario, psa)

    assert [_outcomes(step) for step in vendor["steps"]] == expected
    assert linked_at_once(directory, expected) == linked
    for step in vendor["steps"]:
        if step["run"] is not None:
            assert step["run"]["status"] == "completed" and step["run"]["counts"]["failed"] == 0


def assert_contacts_as_the_psa_holds_them(reports: dict[str, dict[str, Any]], scenario: Scenario, psa: str) -> None:
    """The last step's contacts and clients are the directory's, null where the PSA cannot hold a field."""
    directory, vendor = reports["directory"]["steps"][-1], reports[psa]["steps"][-1]
    held = held_addresses(scenario, psa)
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
        assert _named_apart(contact) == _named_apart(expected), key
        if psa in ONE_NAME_FIELD:
            assert _whole_name(contact) == _whole_name(ours)
        else:
            assert (contact["firstName"], contact["lastName"]) == (ours["firstName"], ours["lastName"])
    for client in vendor["clients"]:
        ours = next(c for c in directory["clients"] if c["id"] == client["id"])
        facts = ours["microsoft"]
        if facts is not None:
            facts = {k: None if k in NULL_CLIENT_FACTS[psa] else v for k, v in facts.items()}
        unheld = {name: None for name in NULL_CLIENT_FIELDS.get(psa, set()) if name in ours}
        assert client == ours | {"microsoft": facts} | unheld


def assert_requests_counted_and_never_throttled(reports: dict[str, dict[str, Any]], psa: str) -> None:
    """Every step counts the PSA's requests, and the pacing keeps the PSA from throttling."""
    steps = reports[psa]["steps"]
    assert all(set(step) >= {"psaWrites", "psaRequests", "psaThrottled"} for step in steps)
    assert all(step["psaThrottled"] == 0 for step in steps)
    assert all(step["psaRequests"] >= step["psaWrites"] for step in steps)
    assert steps[0]["psaWrites"] >= 7  # at least the seven creates
    assert steps[-1]["psaWrites"] == 0 and steps[-1]["psaRequests"] > 0  # nothing changed: reads only (R7.6)
    assert reports[psa]["psaLoad"]["psa"] == psa


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
