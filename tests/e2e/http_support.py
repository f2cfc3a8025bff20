"""Calling the HTTP functions as the host would: a request in, status and JSON out."""

from __future__ import annotations

import json
from typing import Any

import azure.functions as func

from shared.bootstrap import App
from shared.store.names import SYNC_QUEUE


class Reply:
    def __init__(self, response: func.HttpResponse) -> None:
        self.status = response.status_code
        self.headers = dict(response.headers)
        body = response.get_body()
        self.json: Any = json.loads(body) if body else None

    @property
    def error(self) -> dict[str, Any]:
        error: dict[str, Any] = self.json["error"]
        return error


async def call(
    function: Any,
    method: str,
    url: str,
    *,
    body: Any = None,
    raw: bytes | None = None,
    params: dict[str, str] | None = None,
    route: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
) -> Reply:
    """Call a decorated HTTP function with a request built as the host builds it."""
    payload = raw if raw is not None else (b"" if body is None else json.dumps(body).encode())
    request = func.HttpRequest(
        method,
        url,
        headers={"Content-Type": "application/json", **(headers or {})},
        params=params or {},
        route_params=route or {},
        body=payload,
    )
    return Reply(await function.build().get_user_function()(request))


async def queued_messages(app: App) -> list[dict[str, Any]]:
    """What waits on the sync queue (peeked: left in place)."""
    messages = await app.storage.queue(SYNC_QUEUE).peek_messages(max_messages=32)
    return [json.loads(m.content) for m in messages]
