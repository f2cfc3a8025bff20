"""The app as a browser meets it: uvicorn on 127.0.0.1 serving the HTTP app (console included), backed
by a simulated environment (the Graph simulator serving a scenario, fresh Azurite tables and queues,
the built-in PSA directory), with the queue drained in process by the handlers the Functions host calls.

Everything runs in one thread with one event loop, so the App's async clients stay on the loop that
made them; tests reach that loop with `run` and the simulator (thread-safe) directly.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import uvicorn

from functions.api import create_api
from shared.bootstrap import set_app
from shared.devtools.driver import QueueDriver
from shared.devtools.environment import SimulatedEnvironment, simulated_environment
from shared.devtools.simulator import Scenario

__all__ = ["ConsoleServer"]

T = TypeVar("T")


class ConsoleServer:
    def __init__(self, scenario: Scenario) -> None:
        self.scenario = scenario
        self.url = ""
        self._env: SimulatedEnvironment | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._ready = threading.Event()
        self._failure: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="console-server", daemon=True)

    @property
    def env(self) -> SimulatedEnvironment:
        assert self._env is not None, "the server is not started"
        return self._env

    def start(self, timeout: float = 60) -> ConsoleServer:
        self._thread.start()
        if not self._ready.wait(timeout):
            raise TimeoutError("the console server did not start")
        if self._failure is not None:
            raise RuntimeError("the console server failed to start") from self._failure
        return self

    def run(self, work: Callable[[SimulatedEnvironment], Awaitable[T]], timeout: float = 120) -> T:
        """Run `work(env)` on the server's loop (service calls, storage reads) and return its result."""
        assert self._loop is not None

        async def call() -> T:
            return await work(self.env)

        return asyncio.run_coroutine_threadsafe(call(), self._loop).result(timeout)

    def stop(self) -> None:
        if self._loop is not None and self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(timeout=60)

    def _run(self) -> None:
        try:
            asyncio.run(self._main())
        except BaseException as exc:  # reported to start() or, after it, by the test that stops
            self._failure = exc
            self._ready.set()

    async def _main(self) -> None:
        from functions.sync_worker import tenant_poison, tenant_worker  # the handlers the host calls

        self._loop, self._stop = asyncio.get_running_loop(), asyncio.Event()
        async with simulated_environment(self.scenario) as env:
            # The development identity: the app is bound to loopback below, as `make serve` binds it.
            env.app.settings = env.app.settings.model_copy(update={"local_dev_identity": True})
            self._env = env
            set_app(env.app)
            try:
                driver = QueueDriver(
                    env.account,
                    tenant_worker.build().get_user_function(),
                    tenant_poison.build().get_user_function(),
                    batch_size=4,
                )
                config = uvicorn.Config(
                    create_api(loopback=True), host="127.0.0.1", port=0, log_level="warning", lifespan="off"
                )
                server = uvicorn.Server(config)
                serving = asyncio.create_task(server.serve())
                draining = asyncio.create_task(driver.drain(self._stopping, limit_seconds=3600))
                while not server.started:
                    if serving.done():
                        serving.result()
                        raise RuntimeError("uvicorn stopped before it started")
                    await asyncio.sleep(0.02)
                port = server.servers[0].sockets[0].getsockname()[1]
                self.url = f"http://127.0.0.1:{port}"
                self._ready.set()
                await self._stop.wait()
                server.should_exit = True
                await asyncio.gather(serving, draining)
            finally:
                set_app(None)

    async def _stopping(self) -> bool:
        assert self._stop is not None
        return self._stop.is_set()

    def __enter__(self) -> ConsoleServer:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()
