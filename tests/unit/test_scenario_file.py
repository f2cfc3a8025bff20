"""Loading scenario files (SCENARIOS.md): the example loads, and a bad file fails with a clear
message naming the field, never a traceback."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from shared.devtools import NORTHWIND
from shared.devtools.simulator import load_scenario, parse_scenario
from shared.devtools.simulator.scenario import AddOp, UpdateOp, UserOp
from shared.errors import ValidationFailed

TEAM_NORTHWIND = Path(__file__).resolve().parents[3] / "shared" / "scenarios" / "northwind.json"
GREENLEAF = "d4db95b7-337d-540d-8a9f-13b6f9b2058a"


@pytest.fixture(scope="module")
def northwind() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(NORTHWIND.read_text())
    return data


def _refusal(data: dict[str, Any], change: Callable[[dict[str, Any]], object]) -> ValidationFailed:
    broken = copy.deepcopy(data)
    change(broken)
    with pytest.raises(ValidationFailed) as raised:
        parse_scenario(broken, source="bad.json")
    return raised.value


def test_northwind_loads_with_every_part() -> None:
    scenario = load_scenario(NORTHWIND)
    assert scenario.name == "northwind"
    assert [len(tenant.users) for tenant in scenario.tenants] == [8, 4, 2, 1]
    greenleaf = scenario.tenant(GREENLEAF)
    assert greenleaf.premium and greenleaf.consented and greenleaf.relationship == "active"
    assert greenleaf.subscribed_skus[0].prepaid_units.enabled == 6
    assert greenleaf.verified_domains[0].model_dump(by_alias=True)["isDefault"] is True
    assert len(scenario.psa.clients) == 4 and len(scenario.psa.contacts) == 5
    assert [decision.action for decision in scenario.decisions] == ["confirm", "confirm", "map", "skip"]
    update, disable = scenario.steps[2].graph
    assert isinstance(update, UpdateOp) and update.values == {
        "mobilePhone": "+1 555 0112",
        "jobTitle": "Lead Hygienist",
    }
    assert isinstance(disable, UserOp) and disable.op == "disable"
    assert scenario.steps[0].sync is not None and scenario.steps[0].sync.type == "initial"
    assert scenario.steps[1].resolve[0].contact_id == "k-gl-1"


@pytest.mark.skipif(not TEAM_NORTHWIND.exists(), reason="the team folder is not beside the repository")
def test_the_team_folder_example_loads_too() -> None:
    assert load_scenario(TEAM_NORTHWIND) == load_scenario(NORTHWIND)


def test_settings_with_per_tenant_overrides_keep_null_apart_from_absent(northwind: dict[str, Any]) -> None:
    data = copy.deepcopy(northwind)
    data["settings"] = {
        "fieldControls": {"phone": False, "jobTitle": True},
        "filters": {"userTypes": ["Member"], "departments": "all"},
        "exclusionPatterns": ["^svc[-_.]"],
        "safetyBrake": {"minContacts": 5, "percent": 20},
        "tenants": {GREENLEAF: {"filters": {"departments": None}, "fieldControls": {"phone": True}}},
    }
    settings = parse_scenario(data).settings
    assert settings is not None and settings.field_controls is not None and settings.field_controls.job_title
    override = settings.tenants[GREENLEAF].filters
    assert override is not None and override.departments is None
    assert "departments" in override.model_fields_set and "userTypes" not in override.model_fields_set


def test_graph_ops_of_every_kind_are_read(northwind: dict[str, Any]) -> None:
    user = northwind["tenants"][0]["users"][0]["id"]
    data = copy.deepcopy(northwind)
    data["steps"] = [
        {
            "graph": [
                {"op": "delete", "tenantId": GREENLEAF, "userId": user},
                {"op": "restore", "tenantId": GREENLEAF, "userId": user},
                {"op": "enable", "tenantId": GREENLEAF, "userId": user},
                {"op": "add", "tenantId": GREENLEAF, "user": {"id": "new", "displayName": "New"}},
            ],
            "sync": {"type": "tenant", "tenantId": GREENLEAF, "incremental": True, "dryRun": True},
        },
        {"approve": [{"tenantId": GREENLEAF}]},
    ]
    steps = parse_scenario(data).steps
    assert [op.op for op in steps[0].graph] == ["delete", "restore", "enable", "add"]
    assert isinstance(steps[0].graph[3], AddOp)
    assert steps[0].sync is not None and steps[0].sync.incremental and steps[0].sync.dry_run


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        (lambda d: d["tenants"][0].update(relationshp="active"), "tenants[0].relationshp", "Extra inputs"),
        (lambda d: d["tenants"][1]["users"][0].pop("id"), "tenants[1].users[0]", "needs an 'id'"),
        (lambda d: d["tenants"][0]["users"][2].update(mobilephone="1"), "tenants[0].users[2]", "mobilephone"),
        (lambda d: d["tenants"][0].update(consented="maybe"), "tenants[0].consented", "boolean"),
        (lambda d: d["decisions"][2].pop("clientId"), "decisions[2]", "needs a 'clientId'"),
        (lambda d: d["decisions"][0].update(action="approve"), "decisions[0].action", "'confirm'"),
        (lambda d: d["steps"][1]["resolve"][0].pop("contactId"), "steps[1].resolve[0]", "contactId"),
        (lambda d: d["steps"][0]["sync"].update(type="full"), "steps[0].sync.type", "'initial'"),
        (lambda d: d["psa"]["contacts"][0].update(clientId="c-none"), "psa.contacts[0].clientId", "c-none"),
        (lambda d: d["steps"][2]["graph"][0].update(userId="nobody"), "steps[2].graph[0].userId", "unknown"),
        (lambda d: d["steps"][2]["graph"][0].update(tenantId="t-x"), "steps[2].graph[0].tenantId", "t-x"),
        (lambda d: d.update(settings={"exclusionPatterns": ["("]}), "settings.exclusionPatterns", "regular expression"),
        (lambda d: d.update(settings={"tenants": {"t-x": {}}}), "settings.tenants['t-x']", "no tenant"),
        (lambda d: d["tenants"][0]["groups"].append({"id": "g", "members": ["x"]}), "tenants[0].groups[0]", "'x'"),
        (lambda d: d.pop("partner"), "partner", "Field required"),
    ],
)
def test_a_bad_file_names_the_field(
    northwind: dict[str, Any], change: Callable[[dict[str, Any]], object], field: str, words: str
) -> None:
    refusal = _refusal(northwind, change)
    assert refusal.field is not None and refusal.field.startswith(field)
    assert str(refusal).startswith("bad.json: bad scenario file: ")
    assert words in str(refusal)


def test_a_step_that_deletes_a_deleted_user_is_refused(northwind: dict[str, Any]) -> None:
    user = northwind["tenants"][0]["users"][0]["id"]
    delete = {"op": "delete", "tenantId": GREENLEAF, "userId": user}
    refusal = _refusal(northwind, lambda d: d["steps"].append({"graph": [delete, delete]}))
    assert "is deleted at this step" in str(refusal)


def test_missing_and_unreadable_files_fail_clearly(tmp_path: Path) -> None:
    with pytest.raises(ValidationFailed, match="scenario file not found"):
        load_scenario(tmp_path / "nope.json")
    broken = tmp_path / "broken.json"
    broken.write_text('{"name": "x",\n  "partner": }')
    with pytest.raises(ValidationFailed, match=r"not valid JSON at line 2 column"):
        load_scenario(broken)
    listed = tmp_path / "list.json"
    listed.write_text("[]")
    with pytest.raises(ValidationFailed, match="top level must be a JSON object"):
        load_scenario(listed)
