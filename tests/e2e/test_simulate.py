"""The `simulate` command end to end on the northwind scenario (SCENARIOS.md; issues' acceptance outcomes)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from shared.cli.__main__ import main
from shared.devtools import progress
from tests.conftest import NORTHWIND
from tests.integration.helpers import DANA, GREENLEAF, JORDAN, NORTHSTAR, PIONEER, PRIYA, SAM

MAYA = "e4b58502-f36d-56ba-9069-92e55c81c2bb"
ALEX = "6a7cf852-b3d2-55ac-88f9-184576369a02"


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    out = tmp_path_factory.mktemp("sim") / "report.json"
    assert main(["simulate", str(NORTHWIND), "--report", str(out), "--quiet"]) == 0
    return dict(json.loads(out.read_text()))


def users(step: dict[str, Any], tenant: str) -> dict[str, dict[str, Any]]:
    run = step["run"]
    found = next(t for t in run["tenants"] if t["tenantId"] == tenant)
    return {u["userId"]: u for u in found["users"]}


def contact(step: dict[str, Any], contact_id: str) -> dict[str, Any]:
    return next(c for c in step["contacts"] if c["id"] == contact_id)


def test_discovery_and_suggestions(report: dict[str, Any]) -> None:
    assert len(report["discovered"]) == 4
    status = {s["tenantId"]: s["status"] for s in report["suggestions"]}
    assert status[GREENLEAF] == status[NORTHSTAR] == "auto-matched"
    assert status[PIONEER] == "needs-review"
    pioneer = next(s for s in report["suggestions"] if s["tenantId"] == PIONEER)
    assert pioneer["candidates"][0]["clientId"] == "c-pioneer"


def test_first_run_completes_over_three_tenants_with_the_expected_outcomes(report: dict[str, Any]) -> None:
    step = report["steps"][0]
    run = step["run"]
    assert (run["status"], run["tenantsExpected"], run["tenantsProcessed"], run["succeeded"]) == (
        "completed",
        3,
        3,
        3,
    )
    greenleaf = users(step, GREENLEAF)
    assert greenleaf[JORDAN]["outcome"] == "queued"
    assert greenleaf[PRIYA]["outcome"] == greenleaf[MAYA]["outcome"] == "created"
    assert greenleaf[SAM]["outcome"] == "linked" and greenleaf[SAM]["contactId"] == "k-gl-3"
    ignored = [u for u in greenleaf.values() if u["outcome"] == "ignored"]
    assert len(ignored) == 4  # svc-backup, noreply, old.temp (disabled), the guest
    sam = contact(step, "k-gl-3")
    assert (sam["phone"], sam["title"], sam["mobile"]) == ("+1 555 0199", "Dentist", "+1 555 0188")
    jordan = next(a for a in step["ambiguities"] if a["userId"] == JORDAN)
    assert jordan["candidateContactIds"] == ["k-gl-1", "k-gl-2"] and jordan["status"] == "open"
    northstar = users(step, NORTHSTAR)
    assert northstar[ALEX]["outcome"] == "linked"
    assert sorted(u["outcome"] for u in northstar.values()) == ["created", "created", "created", "linked"]
    assert [u["outcome"] for u in users(step, PIONEER).values()] == ["created", "created"]
    bluebird = contact(step, "k-bb-1")
    assert bluebird["title"] == "Owner" and bluebird["entraUserId"] is None and bluebird["microsoft"] is None


def test_resolution_links_jordan_and_he_is_not_queued_again(report: dict[str, Any]) -> None:
    resolved = report["steps"][1]
    assert resolved["run"] is None and resolved["errors"] == []
    assert next(a for a in resolved["ambiguities"] if a["userId"] == JORDAN)["status"] == "resolved"
    assert contact(resolved, "k-gl-1")["entraUserId"] == JORDAN
    for step in report["steps"][2:]:
        assert users(step, GREENLEAF)[JORDAN]["outcome"] == "unchanged"


def test_changes_in_entra_update_inactivate_and_reactivate(report: dict[str, Any]) -> None:
    changed, enabled = report["steps"][2], report["steps"][3]
    assert users(changed, GREENLEAF)[PRIYA]["outcome"] == "updated"
    assert users(changed, NORTHSTAR)[DANA]["outcome"] == "inactivated"
    dana_id = users(changed, NORTHSTAR)[DANA]["contactId"]
    assert contact(changed, dana_id)["active"] is False
    assert contact(changed, dana_id)["inactiveReason"] == "disabled-in-microsoft"
    assert users(enabled, NORTHSTAR)[DANA]["outcome"] == "reactivated"
    assert contact(enabled, dana_id)["active"] is True


def test_last_step_writes_nothing(report: dict[str, Any]) -> None:
    last = report["steps"][-1]
    assert last["psaWrites"] == 0
    assert {u["outcome"] for t in last["run"]["tenants"] for u in t["users"]} <= {"unchanged", "ignored"}


def test_lists_are_sorted_by_id(report: dict[str, Any]) -> None:
    for step in report["steps"]:
        ids = [c["id"] for c in step["contacts"]]
        assert ids == sorted(ids)
        assert [m["tenantId"] for m in step["mappings"]] == sorted(m["tenantId"] for m in step["mappings"])


def test_a_bad_scenario_file_exits_non_zero_with_a_clear_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"name": "x", "partner": {"tenantId": "p"}, "tenants": [{"displayName": "no id"}]}))

    assert main(["simulate", str(bad)]) != 0
    assert "tenantId" in capsys.readouterr().err


def test_discover_command_shows_the_northwind_suggestions(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["discover", "--scenario", str(NORTHWIND)]) == 0
    out = capsys.readouterr().out
    assert "GreenLeaf Dental Group  auto-matched" in out
    assert "Harbor Clinic           unmatched" in out
    assert "c-pioneer secondary-domain" in out


def test_refused_decisions_resolutions_approvals_and_syncs_are_listed_not_fatal(tmp_path: Path) -> None:
    scenario = json.loads(NORTHWIND.read_text())
    scenario["decisions"].append({"tenantId": NORTHSTAR, "action": "map", "clientId": "c-greenleaf"})
    scenario["steps"] = [
        {"sync": {"type": "tenant", "tenantId": "fdd5157a-662f-5456-b42f-4ae5fc274985"}},  # Harbor is skipped
        {
            "resolve": [{"tenantId": GREENLEAF, "userId": JORDAN, "action": "existing", "contactId": "k-bb-1"}],
            "approve": [{"tenantId": NORTHSTAR}],
            "sync": {"type": "initial"},
        },
    ]
    path, out = tmp_path / "s.json", tmp_path / "r.json"
    path.write_text(json.dumps(scenario))

    assert main(["simulate", str(path), "--report", str(out), "--quiet"]) == 0

    first, second = json.loads(out.read_text())["steps"]
    assert {e["kind"] for e in first["errors"]} == {"decision", "sync"} and first["run"] is None
    assert {e["kind"] for e in second["errors"]} == {"resolve", "approve"}
    assert second["run"]["status"] == "completed"


def test_incremental_syncs_take_delta_passes_and_others_full_ones(tmp_path: Path) -> None:
    scenario = json.loads(NORTHWIND.read_text())
    priya_update = {"op": "update", "tenantId": GREENLEAF, "userId": PRIYA, "set": {"jobTitle": "Lead Hygienist"}}
    scenario["steps"] = [
        {"sync": {"type": "initial"}},
        {"graph": [priya_update], "sync": {"type": "all-tenants", "incremental": True}},
        {"sync": {"type": "all-tenants", "incremental": True}},
        {"sync": {"type": "all-tenants"}},
    ]
    path, out = tmp_path / "s.json", tmp_path / "r.json"
    path.write_text(json.dumps(scenario))

    assert main(["simulate", str(path), "--report", str(out), "--quiet"]) == 0

    initial, changed, quiet, full = json.loads(out.read_text())["steps"]
    assert {t["passKind"] for t in initial["run"]["tenants"]} == {"full"}
    assert {t["passKind"] for t in changed["run"]["tenants"]} == {"delta"}
    assert users(changed, GREENLEAF)[PRIYA]["outcome"] == "updated"
    assert quiet["psaWrites"] == 0 and all(t["users"] == [] for t in quiet["run"]["tenants"])
    assert {t["passKind"] for t in full["run"]["tenants"]} == {"full"}
    assert full["psaWrites"] == 0


def test_a_long_run_says_how_far_it_got_on_stderr(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(progress, "PROGRESS_EVERY", 0.0)  # every run is "long": a line each time the queue is looked at

    assert main(["simulate", str(NORTHWIND), "--report", str(tmp_path / "r.json"), "--quiet"]) == 0

    lines = [line for line in capsys.readouterr().err.splitlines() if line.startswith("simulate: ")]
    assert lines, "no progress line"
    assert all(re.search(r" run r\S+: \d+/\d+ tenants, [\d.]+ tenants/s, \d+ s$", line) for line in lines), lines[:3]
    assert any(re.search(r": 3/3 tenants", line) for line in lines)  # northwind's first run, seen to its end
