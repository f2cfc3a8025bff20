"""What Autotask costs: its three auth headers on every request, each request counted against the
tenant whose pass sent it, and at most `threads_per_endpoint` requests at once per endpoint.

* **The count.** A connector call runs inside `Spending.for_client(client_id)`, which sets a context
  variable; the auth hook (`AutotaskAuth`, which every request and every retry passes through) adds
  one to that client's count. Concurrent tenants run in their own asyncio tasks, hence their own
  contexts, so each pass counts only its own requests. `take(client_id)` gives the count since the
  last take (the tenant's note: "Autotask: N requests this pass").
* **The threads.** Autotask allows 3 requests in flight per integration and endpoint; a 4th is
  answered 429. `Slots` holds each process to `threads_per_endpoint` per endpoint. Across instances
  the count is not shared: a 429 from another instance's threads is a throttle like any other,
  waited out and retried (never a failed user).
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Generator, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

import httpx
from pydantic import SecretStr

__all__ = ["AutotaskAuth", "Slots", "Spending"]

_counter: ContextVar[list[int] | None] = ContextVar("autotask_requests", default=None)


class Spending:
    """Requests counted per client (see the module docstring)."""

    def __init__(self) -> None:
        self._counts: dict[str, list[int]] = {}
        self._lock = threading.Lock()

    @contextmanager
    def for_client(self, client_id: str) -> Iterator[None]:
        with self._lock:
            counter = self._counts.setdefault(client_id, [0])
        token = _counter.set(counter)
        try:
            yield
        finally:
            _counter.reset(token)

    def take(self, client_id: str) -> int:
        with self._lock:
            counter = self._counts.pop(client_id, [0])
        return counter[0]


class AutotaskAuth(httpx.Auth):
    """`ApiIntegrationCode`, `UserName` and `Secret` on each request, which is counted (`Spending`)."""

    def __init__(self, integration_code: str, username: str, secret: SecretStr) -> None:
        self._code, self._user, self._secret = integration_code, username, secret

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["ApiIntegrationCode"] = self._code
        request.headers["UserName"] = self._user
        request.headers["Secret"] = self._secret.get_secret_value()
        counter = _counter.get()
        if counter is not None:
            counter[0] += 1
        yield request


class Slots:
    """At most `per_endpoint` requests at once per endpoint name, in this process's event loop."""

    def __init__(self, per_endpoint: int) -> None:
        self._per_endpoint = per_endpoint
        self._semaphores: dict[str, asyncio.Semaphore] = {}

    def __call__(self, endpoint: str) -> asyncio.Semaphore:
        semaphore = self._semaphores.get(endpoint)
        if semaphore is None:
            semaphore = self._semaphores[endpoint] = asyncio.Semaphore(self._per_endpoint)
        return semaphore
