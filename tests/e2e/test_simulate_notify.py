"""`simulate` with `"notify": true` steps (SCENARIOS.md, issue 15) on the live-updates scenario: a new
starter, a leaver disabled and a rename, each notified by Graph over HTTP, reach the PSA through one
delta pass the notifications start (trigger `notification`), with the same outcomes, contacts and PSA
writes as the same changes through the hourly incremental run; each changed user's latency is reported."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest

from shared.cli.__main__ import main
from shared.devtools.simulate import simulate
from shared.devtools.simulator import parse_scenario

pytestmark = pytest.mark.integration

SCENARIO = Path(__file__).resolve().parents[2] / "shared" / "devtools" / "scenarios" / "live-updates.json"
NEW_STARTER = "01e6ae7b-94c8-539b-b0e9-4ad39841726b"
LEAVER = "ed533abb-d556-53ac-9a27-eea756685b14"
RENAMED = "767d2d53-f8ea-52b2-9cf5-76f5b85d1d69"
HOURLY = {"type": "all-tenants", "trigger": "timer", "incremental": True}


@pytest.fixture(scope="module")
def notified(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    out = tmp_path_factory.mktemp("notify") / "report.json"
    assert main(["simulate", str(SCENARIO), "--report", str(out), "--quiet"]) == 0
    return dict(json.loads(out.read_text()))


@pytest.fixture(scope="module")
def hourly() -> dict[str, Any]:
    """The same scenario with each notify step replaced by the hourly timer's incremental run."""
    raw = json.loads(SCENARIO.read_text())
    for step in raw["steps"]:
        if step.pop("notify", False):
            step["sync"] = HOURLY
    return asyncio.run(simulate(parse_scenario(raw, source="live-updates (hourly)")))


def outcomes(step: dict[str, Any]) -> list[tuple[str, str, str]]:
    users = [u for t in step["run"]["tenants"] for u in t["users"]]
    return sorted((u["userId"], u["outcome"], u["reason"]) for u in users)


def contacts(step: dict[str, Any]) -> list[dict[str, Any]]:
    # Contacts the sync created get a new id each run: compare them by what they hold.
    return sorted(({k: v for k, v in c.items() if k != "id"} for c in step["contacts"]), key=lambda c: c["email"])


def test_each_notify_step_reports_the_one_delta_pass_its_notifications_started(notified: dict[str, Any]) -> None:
    for step in notified["steps"][1:]:
        run = step["run"]
        assert (run["type"], run["trigger"], run["status"]) == ("tenant", "notification", "completed")
        assert [t["passKind"] for t in run["tenants"]] == ["delta"]
        assert step["psaWrites"] == 1


def test_the_new_starter_the_leaver_and_the_rename_reach_the_psa(notified: dict[str, Any]) -> None:
    added, disabled, renamed = notified["steps"][1:]

    assert {u["userId"]: u["outcome"] for u in added["run"]["tenants"][0]["users"]}[NEW_STARTER] == "created"
    assert {u["userId"]: u["outcome"] for u in disabled["run"]["tenants"][0]["users"]}[LEAVER] == "inactivated"
    assert {u["userId"]: u["outcome"] for u in renamed["run"]["tenants"][0]["users"]}[RENAMED] == "updated"
    final = {c["entraUserId"]: c for c in renamed["contacts"]}
    assert final[NEW_STARTER]["active"] and final[NEW_STARTER]["email"] == "dev.patel@baysideortho.example"
    assert final[LEAVER]["active"] is False
    assert (final[RENAMED]["firstName"], final[RENAMED]["lastName"]) == ("Carla", "Moreno")


def test_each_changed_user_has_a_latency_under_a_minute(notified: dict[str, Any]) -> None:
    assert "notificationLatencyMs" not in notified["steps"][0]  # a sync step reports none
    for step, user in zip(notified["steps"][1:], (NEW_STARTER, LEAVER, RENAMED), strict=True):
        latency = step["notificationLatencyMs"]
        assert list(latency) == [user]
        assert latency[user] is not None and 0 < latency[user] < 60_000


def test_notify_steps_give_the_outcomes_of_the_hourly_incremental_run(
    notified: dict[str, Any], hourly: dict[str, Any]
) -> None:
    for by_notification, by_timer in zip(notified["steps"][1:], hourly["steps"][1:], strict=True):
        assert by_timer["run"]["trigger"] == "timer"
        assert [t["passKind"] for t in by_timer["run"]["tenants"]] == ["delta"]
        assert outcomes(by_notification) == outcomes(by_timer)
        assert by_notification["run"]["counts"] == by_timer["run"]["counts"]
        assert contacts(by_notification) == contacts(by_timer)
        assert by_notification["psaWrites"] == by_timer["psaWrites"]
        assert by_notification["ambiguities"] == by_timer["ambiguities"]


def test_a_step_with_both_notify_and_sync_is_refused() -> None:
    from shared.errors import ValidationFailed

    raw = json.loads(SCENARIO.read_text())
    raw["steps"][1]["sync"] = HOURLY
    with pytest.raises(ValidationFailed, match="either 'notify': true or a 'sync'"):
        parse_scenario(raw, source="bad")
