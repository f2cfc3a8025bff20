"""The soak of test_soak.py through each vendor's API fake (SOAK_CONNECTORS picks them), in a file of its
own so that `make test`'s workers run it beside the directory's soak."""

from __future__ import annotations

import pytest

from tests.integration.test_soak import SOAK_CONNECTORS, VENDORS, soak
from tests.integration.test_soak import _quick_release as _quick_release  # the module's autouse fixture

pytestmark = pytest.mark.integration


@pytest.mark.parametrize("connector", [c for c in SOAK_CONNECTORS if c in VENDORS])
async def test_the_hourly_soak_through_a_vendors_api_leaves_no_drift(
    connector: str, capsys: pytest.CaptureFixture[str]
) -> None:
    await soak(connector, capsys)
