"""The built-in directory on an unreachable storage account: a contact write is an outage the host
retries (PsaUnavailable, R8.7), never a refusal that would fail the user (R3.5). Needs no Azurite."""

from __future__ import annotations

import socket

import pytest

from shared.config import load_settings
from shared.errors import PsaRefused, PsaUnavailable
from shared.psa.directory import TableDirectory
from shared.store.account import StorageAccount
from tests.integration.test_storage_errors import connection_string

pytestmark = [pytest.mark.integration, pytest.mark.no_azurite]


async def test_r8_7_a_contact_write_during_a_storage_outage_is_unavailable_not_refused() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed_port = s.getsockname()[1]  # closed again on leaving: a connection there is refused
    account = StorageAccount.from_settings(load_settings(AzureWebJobsStorage=connection_string(closed_port)))
    directory = TableDirectory(account)
    try:
        with pytest.raises(PsaUnavailable, match="AzureWebJobsStorage") as caught:
            await directory.update_contact("c-1", "k-1", {"title": "Engineer"})
        assert not isinstance(caught.value, PsaRefused)
    finally:
        await account.aclose()
