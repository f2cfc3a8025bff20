"""`bench --pacing`: instances of the real connector, each with its own storage client, claim from the
budget shared in Azurite and together keep the vendor's limit (a short run; the README has long ones)."""

from __future__ import annotations

import math

import pytest

from shared.devtools.bench_pacing import PacingBenchOptions, render_pacing_table, run_pacing_bench

pytestmark = pytest.mark.integration


async def test_r8_7_two_instances_of_the_connector_share_the_budget_without_a_throttle() -> None:
    result = await run_pacing_bench(PacingBenchOptions(psa="syncro", instances=2, workers=2, seconds=8))

    assert result["throttled"] == 0
    assert all(part > 0 for part in result["requests_per_instance"])  # both sent, through one schedule
    assert result["rate"]["busiest_minute"] <= 180
    # A block of 20 slots costs a read and a write beside another instance, plus each one's first read;
    # each instance may end holding a block it did not finish.
    blocks = math.ceil(result["requests"] / 20) + 2
    assert 0 < result["storage_calls"] <= 2 * blocks + 2
    assert "storage calls per PSA request" in render_pacing_table(result)
