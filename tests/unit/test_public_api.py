"""Each package's public surface is pinned: a name added to or dropped from an `__all__` is a decision
made here, on purpose, not a side effect. Every exported name must exist."""

from __future__ import annotations

import importlib

import pytest

SURFACES: dict[str, set[str]] = {
    "shared.sync": {"TenantInputs", "TenantPlan", "UserPlan", "plan_tenant", "suggest", "suggest_all"},
    "shared.graph": {"GraphTenantDirectory", "GraphUserDirectory", "build_credential", "new_http_client"},
    "shared.psa": {"ClientDirectory", "ContactDirectory", "PsaConnector", "TableDirectory"},
    "shared.devtools": {"NORTHWIND", "SCENARIOS"},
}


@pytest.mark.parametrize("package", sorted(SURFACES))
def test_a_package_exports_exactly_its_pinned_names(package: str) -> None:
    module = importlib.import_module(package)
    assert set(module.__all__) == SURFACES[package]
    for name in module.__all__:
        assert hasattr(module, name), f"{package}.__all__ names {name}, which it does not define"


@pytest.mark.parametrize("package", ["shared.models", "shared.security", "shared.psa.http"])
def test_a_package_with_a_wide_surface_exports_only_what_it_defines(package: str) -> None:
    module = importlib.import_module(package)
    assert module.__all__, f"{package} exports nothing"
    for name in module.__all__:
        assert hasattr(module, name), f"{package}.__all__ names {name}, which it does not define"
