"""The HTTP app served by uvicorn on a free 127.0.0.1 port, inside the caller's event loop, for as long
as a `with` block lasts: what the Graph simulator posts change notifications to (`simulate`'s notify
steps, `bench --notifications`, the tests). The caller's loop keeps running its own work meanwhile."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator, Iterator
from typing import Any

import uvicorn

__all__ = ["serving"]

HOST = "127.0.0.1"


class _Server(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield  # the caller owns the process's signals


@contextlib.asynccontextmanager
async def serving(api: Any) -> AsyncIterator[str]:
    """Serve the ASGI `api` on loopback; yields its base URL (`http://127.0.0.1:PORT`)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((HOST, 0))
    server = _Server(uvicorn.Config(api, log_level="warning", lifespan="off", access_log=False))
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        while not server.started:
            if task.done():
                await task  # it could not start: raise why
                raise RuntimeError("the HTTP server stopped before it started")
            await asyncio.sleep(0.01)
        yield f"http://{HOST}:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        with contextlib.suppress(asyncio.CancelledError):
            await task
        sock.close()
