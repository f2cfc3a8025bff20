"""Fixtures the integration suites share (the connector suites' set-up is in `connector_support`)."""

from __future__ import annotations

import pytest

from tests.integration.psa_http import Recording


@pytest.fixture
def wire() -> Recording:
    """A transport for a connector under test that keeps every request it sent (`wire.sent`)."""
    return Recording()
