"""R7.1: a run's final status from its tenants' results (as its totals count them)."""

from __future__ import annotations

import pytest

from shared.models import RunStatus, TenantResult, TenantStatus
from shared.models.runs import RunTotals
from shared.service.runs import final_status

S, F, H = TenantStatus.SUCCEEDED, TenantStatus.FAILED, TenantStatus.HELD


@pytest.mark.parametrize(
    ("statuses", "expected"),
    [
        ([S, S], RunStatus.COMPLETED),
        ([], RunStatus.COMPLETED),  # nothing mapped: complete at once
        ([S, F], RunStatus.PARTIAL),
        ([S, H], RunStatus.PARTIAL),
        ([H, H], RunStatus.PARTIAL),  # held tenants wait for a person; the run did not fail
        ([F, H], RunStatus.PARTIAL),
        ([F, F], RunStatus.FAILED),
    ],
)
def test_r7_1_final_status(statuses: list[TenantStatus], expected: RunStatus) -> None:
    totals = RunTotals(tenants_expected=len(statuses))
    for i, status in enumerate(statuses):
        totals = totals.plus(TenantResult(tenant_id=f"t{i}", status=status), None)

    assert final_status(totals) is expected
