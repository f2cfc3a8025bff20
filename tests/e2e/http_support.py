"""Calling the HTTP app as a browser or a script does, in process over ASGI: a request in, status and
JSON out. Calls are signed in as an admin unless they say otherwise (`principal=`)."""

from __future__ import annotations

import json
from typing import Any

import httpx

from functions.api import create_api
from functions.auth import PRINCIPAL_HEADER, principal_header
from shared.bootstrap import App
from shared.models.queue import SYNC_QUEUE

API = create_api()
ADMIN = principal_header("admin@msp.example", "admin")
READER = principal_header("reader@msp.example", "reader")


class Reply:
    def __init__(self, response: httpx.Response) -> None:
        self.status = response.status_code
        self.headers = response.headers
        self.text = response.text
        self.content_type = response.headers.get("content-type", "").split(";")[0]
        self.json: Any = response.json() if response.content and self.content_type == "application/json" else None

    @property
    def error(self) -> dict[str, Any]:
        error: dict[str, Any] = self.json["error"]
        return error


async def call(
    method: str,
    path: str,
    *,
    body: Any = None,
    raw: bytes | None = None,
    params: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
    principal: str | None = ADMIN,
    api: Any = API,
) -> Reply:
    """One request to the app. `body` is sent as JSON, `raw` as the exact bytes; `principal` is the
    X-MS-CLIENT-PRINCIPAL the platform would add (None: not signed in)."""
    payload = raw if raw is not None else (b"" if body is None else json.dumps(body).encode())
    sent = {"Content-Type": "application/json", **(headers or {})}
    if principal is not None:
        sent[PRINCIPAL_HEADER] = principal
    transport = httpx.ASGITransport(app=api)
    async with httpx.AsyncClient(transport=transport, base_url="http://localhost") as client:
        response = await client.request(method, path, content=payload, params=params, headers=sent)
    return Reply(response)


async def queued_messages(app: App) -> list[dict[str, Any]]:
    """What waits on the sync queue (peeked: left in place)."""
    messages = await app.storage.queue(SYNC_QUEUE).peek_messages(max_messages=32)
    return [json.loads(m.content) for m in messages]
