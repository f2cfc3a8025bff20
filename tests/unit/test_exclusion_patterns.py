"""Exclusion patterns run on RE2 (R2.3): linear time whatever the pattern, refused when RE2 cannot run them."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import ValidationError

from shared.models import DEFAULT_EXCLUSION_PATTERNS, EntraUser, Outcome, SyncSettings
from shared.service.settings import ExclusionsInput
from shared.sync.inputs import TenantInputs
from shared.sync.planner import plan_tenant
from shared.sync.scope import excluded_by

ROOT = Path(__file__).resolve().parents[2]

# In a child process: Python's `re` holds the GIL while it backtracks, so a thread could not even
# time out, and the old code would hang the whole test run instead of failing it.
CATASTROPHE = """
from shared.models import EntraUser
from shared.sync.scope import excluded_by
local = "a" * 50_000 + "!"
user = EntraUser(id="u1", mail=local + "@x.example", user_principal_name=local + "@x.example")
print(excluded_by(user, [r"(a+)+$"]))
"""


def person(local: str) -> EntraUser:
    return EntraUser(id="u-" + local, mail=f"{local}@x.example", user_principal_name=f"{local}@x.example")


def test_r2_3_a_catastrophic_pattern_on_a_50000_char_local_part_returns_at_once() -> None:
    try:
        done = subprocess.run([sys.executable, "-c", CATASTROPHE], cwd=ROOT, capture_output=True, text=True, timeout=20)
    except subprocess.TimeoutExpired:
        pytest.fail("(a+)+$ did not return within 20 s: patterns are not run in linear time")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "None"


@pytest.mark.parametrize("local", ["svc-x", "noreply", "SVC_Backup", "do-not-reply"])
def test_r2_3_default_patterns_on_re2_still_exclude_service_mailboxes(local: str) -> None:
    assert excluded_by(person(local), DEFAULT_EXCLUSION_PATTERNS) is not None


@pytest.mark.parametrize("local", ["abbott", "talbot", "sam.bottomley", "sa.jones", "noreply.team"])
def test_r2_3_default_patterns_on_re2_keep_real_people(local: str) -> None:
    assert excluded_by(person(local), DEFAULT_EXCLUSION_PATTERNS) is None


@pytest.mark.parametrize(
    "pattern", [r"(a)\1", r"^(?!admin)", r"(?<=x)y"], ids=["backreference", "lookahead", "lookbehind"]
)
def test_r2_3_a_pattern_re2_cannot_run_is_refused_naming_the_field(pattern: str) -> None:
    with pytest.raises(ValidationError) as refused:
        ExclusionsInput.model_validate({"patterns": [r"^svc[-_.]", pattern]})
    [error] = refused.value.errors()
    assert error["loc"] == ("patterns",)
    assert pattern in error["msg"] and "cannot be used" in error["msg"]


def test_r2_3_a_stored_pattern_re2_cannot_run_is_reported_and_keeps_users_out() -> None:
    # Saved before saves were checked: the settings still load, and every user says why they are left out.
    settings = SyncSettings(exclusion_patterns=[r"^(\w)\1"])
    plan = plan_tenant(
        TenantInputs(
            tenant_id="t-1",
            client_id="c-1",
            users=[person("aaron"), person("ben")],
            contacts=[],
            links=[],
            settings=settings,
            complete=True,
        )
    )

    assert {u.outcome for u in plan.users} == {Outcome.IGNORED}
    for user in plan.users:
        assert r"exclusion pattern ^(\w)\1 cannot be used (invalid escape sequence: \1)" in user.reason
