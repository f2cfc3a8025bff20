"""`make serve` (python -m shared.devtools.serve): the whole app on this machine, for a person at a browser.

The Graph simulator serving a scenario (the repo's demo, northwind, by default), fresh Azurite tables and
queues seeded with its PSA (the built-in directory, or `--psa VENDOR`'s API fake), the queue worker
draining the real queue in process with the handlers the Functions host calls, and the HTTP app under
uvicorn on 127.0.0.1. It prints the console's URL and runs until Ctrl-C (or SIGTERM), then stops what it
started and drops its tables.

Sign-in: nothing stands in front of the app here, so with LOCAL_DEV_IDENTITY=true (the Makefile sets
it) unauthenticated calls act as the development identity, an admin. That holds only because this
runner binds the app to loopback (`create_api(loopback=True)`); the setting refuses to load on App
Service (shared/config.py), and then this refuses to start.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import math
import signal
import socket
import sys
from collections.abc import Iterator
from pathlib import Path

import uvicorn

from functions.api import create_api
from functions.sync_worker import tenant_poison, tenant_worker
from shared.bootstrap import set_app
from shared.config import load_settings
from shared.devtools import NORTHWIND
from shared.devtools.driver import QueueDriver
from shared.devtools.environment import SimulatedEnvironment, simulated_environment
from shared.devtools.psa_load import DIRECTORY, PSAS
from shared.devtools.simulator import load_scenario
from shared.errors import StorageUnavailable, SyncError

__all__ = ["main", "serve"]

log = logging.getLogger(__name__)

HOST = "127.0.0.1"  # loopback only: the development identity depends on it
_IDLE_POLL_SECONDS = 0.5  # how often an empty queue is looked at again


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m shared.devtools.serve", description=__doc__.split("\n\n")[0])
    parser.add_argument("--scenario", type=Path, default=NORTHWIND, help="scenario file (default: northwind)")
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (default: a free one)")
    parser.add_argument("--psa", default="directory", help=f"the PSA: {', '.join(PSAS)} (default: directory)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    if args.psa not in PSAS:
        print(f"serve: PSA={args.psa} is not served yet; choose one of: {', '.join(PSAS)}", file=sys.stderr)
        return 2
    try:
        asyncio.run(serve(args.scenario, port=args.port, psa=args.psa))
    except StorageUnavailable as exc:
        print(f"serve: storage (Azurite) is not reachable ({exc}): start it with `make azurite-start`", file=sys.stderr)
        return 1
    except SyncError as exc:  # a bad setting (LOCAL_DEV_IDENTITY on App Service) or a bad scenario
        print(f"serve: {exc}", file=sys.stderr)
        return 1
    return 0


async def serve(scenario_path: Path, *, port: int = 0, psa: str = DIRECTORY) -> None:
    """Run everything until SIGINT or SIGTERM; print the console's URL once it answers."""
    settings = load_settings()  # refuses LOCAL_DEV_IDENTITY on App Service before anything starts
    scenario = load_scenario(scenario_path)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    async with simulated_environment(scenario, psa=psa) as env:
        set_app(env.app)
        try:
            await _run(env, _listen(port), stop, dev_identity=settings.local_dev_identity, scenario=scenario_path)
        finally:
            set_app(None)
    print("serve: stopped; tables and queues dropped, simulator stopped", flush=True)


async def _run(
    env: SimulatedEnvironment, sock: socket.socket, stop: asyncio.Event, *, dev_identity: bool, scenario: Path
) -> None:
    server = _Server(uvicorn.Config(create_api(loopback=True), log_level="warning", lifespan="off"))
    serving = asyncio.create_task(server.serve(sockets=[sock]))
    worker = asyncio.create_task(_drain_forever(env, stop))
    listening = asyncio.create_task(server.listening.wait())
    await asyncio.wait({listening, serving}, return_when=asyncio.FIRST_COMPLETED)
    if not server.started:  # it could not start: say why
        listening.cancel()
        worker.cancel()
        await serving
        raise RuntimeError("the HTTP server did not start")
    port = sock.getsockname()[1]
    print(f"serve: {scenario.stem} on the Graph simulator at {env.simulator.graph_url}", flush=True)
    print(f"serve: PSA: {_psa_label(env)}; storage: Azurite, names prefixed {env.app.settings.storage_name_prefix}")
    print("serve: queue worker: draining the tenant-sync queue in this process")
    if dev_identity:
        print("serve: sign-in: the development identity (admin), on 127.0.0.1 only")
    else:
        print("serve: sign-in: none (set LOCAL_DEV_IDENTITY=true): calls need an X-MS-CLIENT-PRINCIPAL header")
    print(f"console: http://{HOST}:{port}/", flush=True)
    print("serve: Ctrl-C stops", flush=True)
    stopped = asyncio.create_task(stop.wait())
    await asyncio.wait({serving, worker, stopped}, return_when=asyncio.FIRST_COMPLETED)
    server.should_exit = True
    stop.set()
    await asyncio.gather(serving, worker, stopped)  # re-raises what made the server or the worker stop


def _listen(port: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((HOST, port))
    return sock


async def _drain_forever(env: SimulatedEnvironment, stop: asyncio.Event) -> None:
    """The queue worker: the real queue, the host's handlers, retries and the poison queue (QueueDriver)."""
    driver = QueueDriver(
        env.account, tenant_worker.build().get_user_function(), tenant_poison.build().get_user_function()
    )

    async def idle() -> bool:  # called whenever both queues are empty: wait a little, then look again
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), _IDLE_POLL_SECONDS)
        return stop.is_set()

    await driver.drain(idle, limit_seconds=math.inf)


class _Server(uvicorn.Server):
    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
        self.listening = asyncio.Event()

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets=sockets)
        if self.started:
            self.listening.set()

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        # `serve` owns SIGINT and SIGTERM: it stops the worker and the environment too, then exits cleanly.
        yield


def _psa_label(env: SimulatedEnvironment) -> str:
    if env.psa_name == DIRECTORY:
        return "the built-in directory"
    fake = env.vendor.fake if env.vendor is not None else None
    where = f" at {fake.base_url}" if fake is not None else ""
    return f"the {env.psa_name} API fake{where}"


if __name__ == "__main__":
    sys.exit(main())
