"""Storage failures reach callers as StorageUnavailable naming the setting in use, through the real SDK
clients: an account on a closed loopback port, one that answers 503, and an identity with no token.
An HTTP caller gets 503 with that message, never a 500; the CLI says in one line how to start Azurite.
None of this needs Azurite."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import AsyncIterator, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from azure.core.credentials import AccessToken
from azure.core.exceptions import ClientAuthenticationError

from functions.api import create_api
from functions.auth import PRINCIPAL_HEADER, principal_header
from shared.bootstrap import build_app, set_app
from shared.config import load_settings
from shared.errors import StorageUnavailable
from shared.models.queue import SYNC_QUEUE, TenantMessage
from shared.store import account as account_module
from shared.store.account import StorageAccount
from shared.store.queue import QueueWorkQueue
from shared.store.settings_repo import TableSyncSettingsStore

pytestmark = [pytest.mark.integration, pytest.mark.no_azurite]

KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
REPO = Path(__file__).resolve().parents[2]
FAILS_WITHIN = 10.0  # seconds: the short retries, not the SDKs' minutes


def connection_string(port: int) -> str:
    endpoint = f"http://127.0.0.1:{port}/devstoreaccount1"
    return (
        f"DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey={KEY};"
        f"TableEndpoint={endpoint};QueueEndpoint={endpoint};"
    )


@pytest.fixture
def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port  # closed again: a connection there is refused


@pytest.fixture
async def closed_account(closed_port: int) -> AsyncIterator[StorageAccount]:
    account = StorageAccount.from_settings(load_settings(AzureWebJobsStorage=connection_string(closed_port)))
    try:
        yield account
    finally:
        await account.aclose()


async def test_a_table_read_on_an_unreachable_account_names_the_setting(closed_account: StorageAccount) -> None:
    started = time.monotonic()
    with pytest.raises(StorageUnavailable) as raised:
        await TableSyncSettingsStore(closed_account).global_settings()
    assert time.monotonic() - started < FAILS_WITHIN
    assert "storage is unavailable" in str(raised.value) and "(check AzureWebJobsStorage)" in str(raised.value)
    assert raised.value.setting == "AzureWebJobsStorage"
    assert raised.value.endpoint.startswith("http://127.0.0.1:")


async def test_a_queue_send_fails_the_same_way(closed_account: StorageAccount) -> None:
    started = time.monotonic()
    with pytest.raises(StorageUnavailable, match=r"queue service .* cannot be reached.* \(check AzureWebJobsStorage\)"):
        await QueueWorkQueue(closed_account).send([TenantMessage(run_id="r-1", tenant_id="t-1")])
    assert time.monotonic() - started < FAILS_WITHIN


async def test_http_answers_503_naming_the_setting_when_storage_is_unreachable(closed_port: int) -> None:
    settings = load_settings(AzureWebJobsStorage=connection_string(closed_port))
    transport = httpx.ASGITransport(app=create_api())
    reader = {PRINCIPAL_HEADER: principal_header("storage test", "reader")}
    for ensured in (False, True):  # a cold start (tables ensured first), then a warm app reading its row
        app = build_app(settings)
        set_app(app, ensured=ensured)
        try:
            async with httpx.AsyncClient(transport=transport, base_url="http://localhost") as client:
                reply = await client.get("/api/settings/field-controls", headers=reader)
        finally:
            set_app(None)
            await app.aclose()
        assert reply.status_code == 503, reply.text
        error = reply.json()["error"]
        assert error["code"] == "unavailable"
        assert error["message"].startswith("storage is unavailable: the table service at http://127.0.0.1:")
        assert error["message"].endswith("(check AzureWebJobsStorage)")


class _Busy(BaseHTTPRequestHandler):
    """Every request: 503 ServerBusy, as a throttled storage account answers."""

    seen: list[str]

    def _busy(self) -> None:
        self.seen.append(self.command)
        self.send_response(503)
        self.send_header("x-ms-error-code", "ServerBusy")
        self.send_header("Content-Length", "0")
        self.end_headers()

    do_GET = do_PUT = do_POST = _busy

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def busy_port() -> Iterator[tuple[int, list[str]]]:
    seen: list[str] = []
    handler = type("Busy", (_Busy,), {"seen": seen})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield server.server_address[1], seen
    finally:
        server.shutdown()
        server.server_close()


async def test_a_5xx_after_the_retries_is_unavailable_with_its_code(busy_port: tuple[int, list[str]]) -> None:
    port, seen = busy_port
    account = StorageAccount.from_settings(load_settings(AzureWebJobsStorage=connection_string(port)))
    try:
        with pytest.raises(StorageUnavailable, match=r"failed after retries \(503 ServerBusy\)"):
            await TableSyncSettingsStore(account).global_settings()
    finally:
        await account.aclose()
    assert seen == ["GET"] * 4  # the first try and three retries: the fault was met every time


class _Token:
    """An identity that always has a token (or never, with `refuse`)."""

    def __init__(self, refuse: bool = False) -> None:
        self.refuse = refuse

    async def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        if self.refuse:
            raise ClientAuthenticationError("ManagedIdentityCredential: no managed identity endpoint found")
        return AccessToken("token", int(time.time()) + 3600)

    async def close(self) -> None:
        pass


def _identity_account(monkeypatch: pytest.MonkeyPatch, port: int, refuse: bool) -> StorageAccount:
    monkeypatch.setattr(account_module, "_identity", lambda client_id: _Token(refuse))
    settings = load_settings(
        AzureWebJobsStorage__tableServiceUri=f"https://127.0.0.1:{port}",
        AzureWebJobsStorage__queueServiceUri=f"https://127.0.0.1:{port}",
    )
    return StorageAccount.from_settings(settings)


async def test_identity_based_storage_names_the_service_uri_setting(
    monkeypatch: pytest.MonkeyPatch, closed_port: int
) -> None:
    account = _identity_account(monkeypatch, closed_port, refuse=False)
    try:
        with pytest.raises(StorageUnavailable, match="cannot be reached") as raised:
            await TableSyncSettingsStore(account).global_settings()
    finally:
        await account.aclose()
    assert raised.value.setting == "AzureWebJobsStorage__tableServiceUri"
    assert str(raised.value).endswith("(check AzureWebJobsStorage__tableServiceUri)")


async def test_an_identity_without_a_token_is_unavailable_naming_the_setting(
    monkeypatch: pytest.MonkeyPatch, closed_port: int
) -> None:
    account = _identity_account(monkeypatch, closed_port, refuse=True)
    try:
        with pytest.raises(StorageUnavailable) as raised:
            await account.queue(SYNC_QUEUE).send_message("{}")
    finally:
        await account.aclose()
    assert "refused the app's identity" in str(raised.value) and "no managed identity" in str(raised.value)
    assert str(raised.value).endswith("(check AzureWebJobsStorage__queueServiceUri)")


CLI_COMMANDS = {
    "simulate": ["simulate", "shared/devtools/scenarios/northwind.json", "--quiet"],
    "bench": ["bench", "--tenants", "1", "--users", "2", "--ingest-users", "10", "--no-sdk"],
    "operator": ["tenants"],
}


def test_the_cli_says_in_one_line_that_azurite_is_not_running(closed_port: int) -> None:
    env = {**os.environ, "AzureWebJobsStorage": connection_string(closed_port)}
    runs = {
        name: subprocess.Popen(
            [sys.executable, "-m", "shared.cli", *args],
            cwd=REPO,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for name, args in CLI_COMMANDS.items()
    }  # side by side: each waits out the short retries
    for name, run in runs.items():
        out, err = run.communicate(timeout=120)
        assert run.returncode == 1, (name, out, err)
        assert "Traceback" not in err and out == "", (name, out, err)
        assert len(err.splitlines()) == 1, (name, err)
        assert err.startswith(f"error: storage (Azurite) is not reachable at http://127.0.0.1:{closed_port} "), err
        assert "`make azurite-start`" in err and "`npx azurite " in err
