"""`make serve` end to end: the runner as a subprocess, as a developer starts it; its console URL
answers with the demo scenario behind it, the queue worker drains a run, and Ctrl-C stops it cleanly.
Under App Service the development identity setting makes it refuse to start."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from tests.integration.helpers import GREENLEAF

REPO = Path(__file__).resolve().parents[2]
URL_LINE = "console: "
STARTS_WITHIN = 60.0  # seconds, on a busy 2-core machine


def environment(**extra: str) -> dict[str, str]:
    inherited = {k: v for k, v in os.environ.items() if not k.startswith(("WEBSITE_", "LOCAL_DEV_IDENTITY"))}
    return {**inherited, **extra}


async def start(**env: str) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "shared.devtools.serve",
        cwd=REPO,
        env=environment(**env),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


async def console_url(process: asyncio.subprocess.Process) -> str:
    assert process.stdout is not None
    async with asyncio.timeout(STARTS_WITHIN):
        while line := (await process.stdout.readline()).decode():
            if line.startswith(URL_LINE):
                return line.removeprefix(URL_LINE).strip()
    raise AssertionError(
        f"serve exited before printing its URL: {await process.stderr.read() if process.stderr else ''}"
    )


@pytest.fixture
async def served() -> AsyncIterator[tuple[asyncio.subprocess.Process, str]]:
    process = await start(LOCAL_DEV_IDENTITY="true")
    try:
        yield process, await console_url(process)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


async def test_serve_prints_the_console_url_answers_drains_runs_and_stops_on_ctrl_c(
    served: tuple[asyncio.subprocess.Process, str],
) -> None:
    process, url = served
    assert url.startswith("http://127.0.0.1:") and url.endswith("/")

    async with httpx.AsyncClient(base_url=url, timeout=30) as client:
        tenants = await client.get("/api/tenants")  # no header: the development identity
        assert (tenants.status_code, tenants.json()) == (200, [])
        assert (await client.post("/api/discovery")).json()["found"] == 4  # the demo scenario's tenants
        assert (await client.post(f"/api/mappings/{GREENLEAF}", json={"action": "confirm"})).status_code == 200
        started = await client.post("/api/runs", json={"type": "tenant", "tenantId": GREENLEAF})
        run_id = started.json()["runId"]
        for _ in range(200):  # a minute at most: the in-process queue worker picks the message up
            run = (await client.get(f"/api/runs/{run_id}")).json()
            if run["status"] != "running":
                break
            await asyncio.sleep(0.3)
        assert run["status"] in ("completed", "partial")
        assert run["tenants"][0]["users"]

    process.send_signal(signal.SIGINT)
    async with asyncio.timeout(30):
        out, err = await process.communicate()
    assert process.returncode == 0, err.decode()
    assert "stopped" in out.decode()


async def test_serve_refuses_to_start_with_the_development_identity_under_app_service() -> None:
    process = await start(LOCAL_DEV_IDENTITY="true", WEBSITE_SITE_NAME="func-entrasync-abc")
    async with asyncio.timeout(STARTS_WITHIN):
        out, err = await process.communicate()

    assert process.returncode == 1
    assert "LOCAL_DEV_IDENTITY" in err.decode()
    assert URL_LINE not in out.decode()
