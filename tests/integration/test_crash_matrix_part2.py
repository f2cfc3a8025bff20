"""The crash matrix of test_crash_matrix.py for HaloPSA, ConnectWise and Autotask (CRASH_CONNECTORS picks
them), in a file of its own so that `make test`'s workers run it beside the first half."""

from __future__ import annotations

import pytest

from shared.devtools.simulator import Scenario
from tests.integration.crash_world import CONNECTORS
from tests.integration.test_crash_matrix import PART2, matrix
from tests.integration.test_crash_matrix import _unpaced as _unpaced  # the module's autouse fixture

pytestmark = pytest.mark.integration


@pytest.mark.parametrize("connector", [c for c in CONNECTORS if c in PART2])
async def test_a_worker_failing_at_any_write_point_of_a_vendor_duplicates_nothing_and_loses_nothing(
    northwind: Scenario, connector: str, capsys: pytest.CaptureFixture[str]
) -> None:
    await matrix(northwind, connector, capsys)
