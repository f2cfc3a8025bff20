"""Fault injection for the crash matrix and the soak: a worker that fails or dies at a named write point
of a tenant pass, a storage blip, and the checks a run must pass afterwards.

The ports of a real `App` (Azurite, the Graph simulator, a PSA connector) are wrapped in proxies that
report each call to an `Injector`. An armed fault fires right after the call it names returned (the
write landed, then the worker fails): in mode `exception` an `InjectedFault` (an `Exception`: the
worker's `except` blocks run), in mode `kill` a `WorkerKilled` (a `BaseException`: they do not), and
from then on every storage or PSA call of that delivery raises `WorkerKilled` too, so its `finally`
blocks cannot touch storage either (the process is gone: its lease is left behind). The queue driver's
handler turns a killed delivery into a failure the driver retries, as the host redelivers a message
whose worker vanished. A `blip` makes the next storage calls, of any delivery, raise
`StorageUnavailable`, as an outage of a few seconds does.
"""

from __future__ import annotations

import contextvars
import inspect
import random
import secrets
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from typing import Any

from azure.functions.queue import QueueMessage as FuncQueueMessage

from shared.bootstrap import App
from shared.devtools.counting import CountingConnector
from shared.devtools.driver import QueueDriver
from shared.errors import StorageUnavailable
from shared.models import Capabilities, PsaContact, RunRecord, RunStatus
from shared.models.runs import RunTotals
from shared.psa.port import PsaConnector
from shared.service.runs import FINAL, run_details
from shared.service.tenant_queue import fail_from_poison, sync_from_message
from shared.store.account import StorageAccount

__all__ = [
    "MODES",
    "POINTS",
    "Died",
    "InjectedFault",
    "Injector",
    "OneByOne",
    "WorkerKilled",
    "check_run",
    "crash_driver",
    "wrap_app",
]


class WorkerKilled(BaseException):
    """The worker's process dies here: no `except Exception` runs."""


class InjectedFault(RuntimeError):
    """An injected failure the worker sees as any other exception."""


class Died(Exception):
    """What the host sees of a killed worker: no answer, so the message comes back."""


# Write points of a tenant pass: the port and its methods; "when" narrows one to some calls.
POINTS: dict[str, tuple[str, tuple[str, ...]]] = {
    "psa-create": ("psa", ("create_contacts", "create_contact")),
    "psa-change": ("psa", ("change_contacts", "update_contact", "set_contact_active")),
    "psa-facts": ("psa", ("write_contact_facts", "write_client_facts")),
    "try-mark": ("runs", ("update_tenant",)),
    "try-intent": ("runs", ("save_attempt",)),
    "link-save": ("links", ("save_many", "save")),
    "ambiguity-save": ("ambiguities", ("save_many",)),
    "cursor-save": ("cursors", ("save",)),
    "user-outcomes": ("runs", ("save_user_outcomes",)),
    "tenant-row": ("runs", ("count_tenant",)),  # the first tenant counted
    "run-recount": ("runs", ("count_tenant",)),  # the count that completes the run's totals
    "run-completion": ("runs", ("update",)),
}
MODES = ("exception", "kill")
_GOING = (RunStatus.QUEUED, RunStatus.RUNNING)
_STORAGE_PORTS = ("runs", "links", "ambiguities", "cursors", "leases", "scopes", "secure_scores", "licenses")
_PORTS = (*_STORAGE_PORTS, "psa")


def _completes(result: Any) -> bool:
    totals = result[0] if isinstance(result, tuple) else None
    return isinstance(totals, RunTotals) and totals.done and bool(result[1])


_WHEN: dict[str, Callable[[Any], bool]] = {"run-recount": _completes}


@dataclass
class _Delivery:
    dead: bool = False


_delivery: contextvars.ContextVar[_Delivery | None] = contextvars.ContextVar("delivery", default=None)


@dataclass
class Injector:
    """Arms faults at write points and counts what fired; counts every call it sees (`calls`)."""

    armed: list[tuple[str, str]] = field(default_factory=list)  # (point, mode), each fires once
    blip_calls: int = 6  # how many storage calls a blip armed at a point fails
    fired: Counter[str] = field(default_factory=Counter)
    calls: Counter[str] = field(default_factory=Counter)
    blip_left: int = 0  # storage calls still to fail
    blips: int = 0
    blip_failures: int = 0

    def arm(self, point: str, mode: str) -> None:
        """Fail (`exception`), kill (`kill`) or start a storage blip (`blip`) right after `point`."""
        assert point in POINTS and mode in (*MODES, "blip")
        self.armed.append((point, mode))

    def disarm(self) -> None:
        """Drop what did not fire, and end a blip still going."""
        self.armed.clear()
        self.blip_left = 0

    def blip(self, calls: int) -> None:
        """The next `calls` storage calls fail with StorageUnavailable (an outage of a few seconds)."""
        self.blip_left = calls
        self.blips += 1

    def before(self, port: str, method: str) -> None:
        delivery = _delivery.get()
        if delivery is not None and delivery.dead:
            raise WorkerKilled(f"{port}.{method} after the worker died")
        self.calls[f"{port}.{method}"] += 1
        if self.blip_left and port in _STORAGE_PORTS:
            self.blip_left -= 1
            self.blip_failures += 1
            raise StorageUnavailable(
                "storage is unavailable: injected blip", endpoint="http://127.0.0.1:10002", setting="blip"
            )

    def after(self, port: str, method: str, result: Any) -> None:
        for index, (point, mode) in enumerate(self.armed):
            where, methods = POINTS[point]
            if where != port or method not in methods or not _WHEN.get(point, lambda _: True)(result):
                continue
            del self.armed[index]
            self.fired[f"{point}/{mode}"] += 1
            if mode == "blip":
                self.blip(self.blip_calls)
                return
            if mode == "kill":
                delivery = _delivery.get()
                if delivery is not None:
                    delivery.dead = True
                raise WorkerKilled(f"worker killed after {port}.{method}")
            raise InjectedFault(f"injected failure after {port}.{method}")


class _Proxy:
    """Every coroutine method of `inner` reported to the injector; anything else passed through."""

    def __init__(self, inner: Any, port: str, injector: Injector) -> None:
        self._inner, self._port, self._injector = inner, port, injector

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._inner, name)
        if name.startswith("_") or not inspect.iscoroutinefunction(attr):
            return attr

        async def call(*args: Any, **kwargs: Any) -> Any:
            self._injector.before(self._port, name)
            result = await attr(*args, **kwargs)
            self._injector.after(self._port, name, result)
            return result

        return call


def wrap_app(app: App, injector: Injector) -> dict[str, Any]:
    """Route the app's storage ports and its PSA through the injector (in place); returns the ports
    as they were, for the test's own reads (which no fault may hit)."""
    raw = {port: getattr(app, port) for port in _PORTS}
    for port in _PORTS:
        setattr(app, port, _Proxy(raw[port], port, injector))
    return raw


class OneByOne(CountingConnector):
    """A connector without its bulk calls: one call per contact and action, as a REST PSA takes them."""

    @property
    def capabilities(self) -> Capabilities:
        return replace(self.inner.capabilities, bulk=False)


def crash_driver(app: App, account: StorageAccount, **options: Any) -> QueueDriver:
    """The real queue drained with the tenant queue's own handlers, each delivery in a context of its
    own; a delivery killed by the injector is reported to the driver as a failure, so it redelivers."""

    async def worker(msg: FuncQueueMessage) -> None:
        _delivery.set(_Delivery())
        try:
            await sync_from_message(app, msg.get_body())
        except WorkerKilled as killed:
            raise Died(str(killed)) from None

    async def poison(msg: FuncQueueMessage) -> None:
        await fail_from_poison(app, msg.get_body(), message_id=msg.id, tries=msg.dequeue_count)

    return QueueDriver(account, worker, poison, **options)


async def drain(driver: QueueDriver, runs: Any, run_id: str, *, limit: float = 120.0) -> None:
    """Drain until the run is final (`runs`: the run store, read past the injector)."""

    async def finished() -> bool:
        run = await runs.get(run_id)
        return run is not None and run.status not in _GOING

    await driver.drain(finished, limit_seconds=limit)


@dataclass
class RunCheck:
    run: RunRecord
    created: int
    problems: list[str]
    contacts: list[PsaContact]  # the PSA's contacts after the run


async def check_run(
    app: App, run_id: str, *, before: Iterable[PsaContact], after: Iterable[PsaContact], psa_writes: int
) -> RunCheck:
    """A finished run's invariants: final (run and tenants), totals = Σ tenant rows = Σ user rows, one
    outcome per user, every contact the run created counted `created` once, its PSA writes counted once
    (`psa_writes`: what reached the PSA), no duplicate contact, none deleted."""
    run = await run_details(app, run_id)
    problems: list[str] = []
    if run.status in _GOING:
        problems.append(f"run {run.status.value}")
    not_final = [t.tenant_id for t in run.tenants if t.status not in FINAL]
    if not_final:
        problems.append(f"tenants not final: {not_final}")
    if run.tenants_processed != len(run.tenants):
        problems.append(f"processed {run.tenants_processed} of {len(run.tenants)}")
    sums = {k: sum(getattr(t.counts, k) for t in run.tenants) for k in run.counts.model_dump()}
    if sums != run.counts.model_dump():
        problems.append(f"run counts {run.counts.model_dump()} != tenant rows {sums}")
    if run.psa_writes != sum(t.psa_writes for t in run.tenants):
        problems.append(f"run psaWrites {run.psa_writes} != tenant rows {sum(t.psa_writes for t in run.tenants)}")
    for tenant in run.tenants:
        by_user = {k: sum(u.outcome.value == k for u in tenant.users) for k in tenant.counts.model_dump()}
        if by_user != tenant.counts.model_dump():
            problems.append(f"tenant {tenant.tenant_id} counts {tenant.counts.model_dump()} != user rows {by_user}")
        if len({u.user_id for u in tenant.users}) != len(tenant.users):
            problems.append(f"tenant {tenant.tenant_id}: a user has two outcomes")
    if run.psa_writes != psa_writes:
        problems.append(f"run psaWrites {run.psa_writes} != writes the PSA took {psa_writes}")
    old = {c.id: c for c in before}
    now = {c.id: c for c in after}
    deleted = sorted(set(old) - set(now))
    if deleted:
        problems.append(f"contacts deleted: {deleted}")
    new = set(now) - set(old)
    created = [u.contact_id for t in run.tenants for u in t.users if u.outcome.value == "created"]
    if sorted(created, key=str) != sorted(new, key=str):
        problems.append(f"created outcomes {sorted(created, key=str)} != contacts created {sorted(new)}")
    problems.extend(duplicates(now.values()))
    return RunCheck(run=run, created=len(new), problems=problems, contacts=list(now.values()))


def duplicates(contacts: Iterable[PsaContact]) -> list[str]:
    """Two contacts of one client for one Entra user or with one email."""
    seen: Counter[tuple[str, str]] = Counter()
    for contact in contacts:
        if contact.entra_user_id:
            seen[(contact.client_id, f"user {contact.entra_user_id}")] += 1
        if contact.email:
            seen[(contact.client_id, f"email {contact.email.lower()}")] += 1
    return [f"duplicate contacts in {client}: {what} x{n}" for (client, what), n in seen.items() if n > 1]


async def all_contacts(psa: PsaConnector) -> list[PsaContact]:
    return [c for client in await psa.list_clients() for c in await psa.list_contacts(client.id)]


def new_seed() -> int:
    return secrets.randbelow(2**31)


def pick(rng: random.Random, items: Iterable[Any], k: int) -> list[Any]:
    pool = list(items)
    return rng.sample(pool, min(k, len(pool)))
