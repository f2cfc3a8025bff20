"""Test help for the REST connectors: a transport that records what was sent, and fast settings."""

from __future__ import annotations

import json
from typing import Any

import httpx

__all__ = ["FAST_RETRIES", "Recording"]

# Retries that take milliseconds, a rate our own limiter never holds back (the fakes' limits do).
FAST_RETRIES: dict[str, Any] = {
    "retry_attempts": 3,
    "retry_initial_wait_seconds": 0.01,
    "retry_max_wait_seconds": 2.0,
    "timeout_seconds": 5,
    "rate_limit_per_minute": 60_000,
    "burst": 1_000,
}


class Recording(httpx.AsyncBaseTransport):
    """Real HTTP, with every request's method, path and JSON body kept in `sent`."""

    def __init__(self) -> None:
        self._inner = httpx.AsyncHTTPTransport()
        self.sent: list[tuple[str, str, Any]] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        try:
            body = json.loads(request.content) if request.content else None
        except ValueError:  # a form (HaloPSA's token request)
            body = request.content.decode("utf-8", "replace")
        self.sent.append((request.method, request.url.path, body))
        return await self._inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self._inner.aclose()

    def bodies(self, method: str) -> list[Any]:
        return [body for sent, _, body in self.sent if sent == method]
