"""The benchmark's scenario generator: deterministic, the requested shape, a realistic mix (issue 7)."""

from __future__ import annotations

from collections import Counter

from pydantic import TypeAdapter

from shared.devtools.bench_data import BUSINESS_BASIC, BUSINESS_PREMIUM, BenchShape, bench_changes, bench_scenario
from shared.devtools.simulator.scenario import GraphOp
from shared.devtools.simulator.state import DirectoryState
from shared.models import DEFAULT_EXCLUSION_PATTERNS, EntraUser
from shared.sync.scope import excluded_by

SHAPE = BenchShape(tenants=5, users=200)


def test_the_same_shape_and_seed_give_the_same_scenario_and_another_seed_another() -> None:
    assert bench_scenario(SHAPE).model_dump() == bench_scenario(SHAPE).model_dump()
    names = [u["displayName"] for u in bench_scenario(SHAPE).tenants[0].users]
    assert [u["displayName"] for u in bench_scenario(BenchShape(5, 200, seed=8)).tenants[0].users] != names


def test_t_tenants_of_u_users_each_with_its_own_client_matched_by_domain_and_confirmed() -> None:
    scenario = bench_scenario(SHAPE)
    assert len(scenario.tenants) == 5 and all(len(t.users) == 200 for t in scenario.tenants)
    ids = [u["id"] for t in scenario.tenants for u in t.users]
    assert len(set(ids)) == len(ids) == 1000
    websites = {c.website.removeprefix("https://") for c in scenario.psa.clients}
    for tenant in scenario.tenants:
        default = next(d.name for d in tenant.verified_domains if d.is_default)
        assert default in websites
        assert all(u["mail"].endswith("@" + default) for u in tenant.users if u["userType"] == "Member")
    assert [(d.tenant_id, d.action) for d in scenario.decisions] == [(t.tenant_id, "confirm") for t in scenario.tenants]


def test_the_users_mix_members_guests_service_accounts_disabled_users_and_licences() -> None:
    users = [EntraUser.model_validate(u) for t in bench_scenario(SHAPE).tenants for u in t.users]
    guests = sum(u.is_guest for u in users)
    services = sum(excluded_by(u, DEFAULT_EXCLUSION_PATTERNS) is not None for u in users)
    disabled = sum(not u.account_enabled for u in users)
    assert 0.02 <= guests / len(users) <= 0.04
    assert 0.01 <= services / len(users) <= 0.03
    assert 0.01 <= disabled / len(users) <= 0.03
    skus = Counter(lic.sku_id for u in users for lic in u.assigned_licenses)
    assert skus[BUSINESS_PREMIUM] > skus[BUSINESS_BASIC] > 0
    assert sum(not u.assigned_licenses for u in users) > 0
    assert len({u.display_name for u in users}) > 100


def test_a_share_of_users_already_has_a_contact_to_link_and_most_tenants_have_p1() -> None:
    scenario = bench_scenario(SHAPE)
    mails = {u["mail"] for t in scenario.tenants for u in t.users}
    assert 80 <= len(scenario.psa.contacts) <= 120
    assert all(c.email in mails for c in scenario.psa.contacts)
    premium = bench_scenario(BenchShape(tenants=100, users=1))
    assert sum(t.premium for t in premium.tenants) == 80


def test_the_change_set_touches_one_percent_of_each_tenant_and_applies_cleanly() -> None:
    scenario = bench_scenario(SHAPE)
    ops = bench_changes(scenario, 0.01)
    per_tenant = Counter(op["tenantId"] for op in ops)
    assert set(per_tenant.values()) == {2}  # 1 % of 200
    assert {op["op"] for op in bench_changes(bench_scenario(BenchShape(tenants=3, users=1000)))} >= {
        "update",
        "delete",
        "add",
        "disable",
        "enable",
    }
    state = DirectoryState(scenario)
    for op in ops:
        state.apply(TypeAdapter(GraphOp).validate_python(op))  # raises for a change that cannot apply
    assert bench_changes(scenario, 0.01) == ops  # deterministic
