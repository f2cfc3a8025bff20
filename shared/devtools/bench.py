"""`python -m shared.cli bench`: what a sync costs, measured in one run on this machine.

* `ingest`: the same N users' Graph pages read our way (pydantic from the raw bytes), through
  msgraph-sdk's typed models, and with bare `json.loads`.
* `full`, `incremental` (no changes, then 1 % of users changed): T tenants x U users through Azurite
  and the Graph simulator, end to end through the real queue and the host's handlers. Graph requests
  come from the simulator's request log, PSA calls from `CountingConnector`, storage transactions
  from a hook on every HTTP request the Table and Queue clients send to Azurite.
* `also`: more shapes (e.g. 200 x 500 beside 2,000 x 50), each through its own environment, in the
  same run: figures side by side from one process on one machine's load.

Each run prints its progress on stderr every few seconds (tenants done of expected, rate), and each
phase the process's peak RSS so far (the simulator's state included: it lives in this process).
"""

from __future__ import annotations

import asyncio
import contextvars
import dataclasses
import gc
import json
import math
import re
import resource
import secrets
import sys
import time
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any, TypeVar
from urllib.parse import unquote, urlsplit

from azure.core.pipeline import PipelineRequest

from shared.bootstrap import App, set_app
from shared.devtools.bench_data import BenchShape, bench_changes, bench_scenario, client_id_of
from shared.devtools.counting import CountingConnector
from shared.devtools.driver import QueueDriver
from shared.devtools.environment import simulated_environment
from shared.devtools.progress import run_progress
from shared.devtools.simulator import GraphSimulator, Scenario
from shared.graph.pages import UserPage
from shared.models import Mapping, MappingStatus, RunRecord, RunStatus, RunType, Trigger
from shared.service.discovery import discover
from shared.service.runs import run_details, start_run

__all__ = ["BenchOptions", "StorageCounter", "render_table", "run_bench"]

T = TypeVar("T")

_FINISHED = (RunStatus.COMPLETED, RunStatus.PARTIAL, RunStatus.FAILED)
_RUN_TABLES = ("Runs", "RunTenants", "RunUsers")
_KEYS = re.compile(r"PartitionKey='([^']*)',RowKey='([^']*)'")
_OPERATION = re.compile(r"^(?:POST|PUT|PATCH|MERGE|DELETE) (\S+) HTTP/1\.1", re.MULTILINE)
# Set while the bench itself reads storage (has the run finished? how far is it?): not the app's work.
_UNCOUNTED: contextvars.ContextVar[bool] = contextvars.ContextVar("bench_uncounted", default=False)


@dataclass(frozen=True)
class BenchOptions:
    tenants: int = 50
    users: int = 400
    ingest_users: int = 2000
    changed_share: float = 0.01
    seed: int = 7
    workers: int = 8  # tenant messages fetched at once (host.json's queues.batchSize)
    new_batch_threshold: int | None = None  # host.json's queues.newBatchThreshold; None: workers // 2, as the host
    sdk: bool = True  # time msgraph-sdk's typed models too (about 7 ms a user)
    storage: str | None = None
    also: tuple[tuple[int, int], ...] = ()  # more (tenants, users) shapes measured in the same run
    progress_every: float = 5.0  # seconds between progress lines on stderr
    target_phases: bool = False  # only the phases issue 16's targets read: full (initial) and no change


# --- storage transactions ----------------------------------------------------------------------


@dataclass
class StorageCounter:
    """Counts every HTTP request the storage clients send (a transaction each, as Azure bills them).

    A `$batch` is one transaction; its operations are counted apart as `batched_entities`. Writes are
    grouped by table (without the test prefix), and writes of the run's own rows (Runs, RunTenants,
    RunUsers, the tenant lease and the run's scope lock) are told apart from the sync's writes.
    """

    prefix: str = ""
    table_reads: int = 0
    table_writes: int = 0
    queue_ops: int = 0
    batches: int = 0
    batched_entities: int = 0
    writes_by_table: Counter[str] = field(default_factory=Counter)
    reads_by_table: Counter[str] = field(default_factory=Counter)

    def table(self, request: PipelineRequest[Any]) -> None:
        if _UNCOUNTED.get():
            return
        http = request.http_request
        path = unquote(urlsplit(http.url).path)
        if path.endswith("/$batch"):
            urls = _batch_urls(http)
            self.batches += 1
            self.batched_entities += len(urls)
            self.table_writes += 1
            name, row = _target(urls[0] if urls else "", self.prefix)
            self.writes_by_table[_label(name, row)] += 1
            return
        name, row = _target(http.url, self.prefix)
        if row is None and http.method == "POST":
            row = _row_key_of(http)
        if http.method == "GET":
            self.table_reads += 1
            self.reads_by_table[_read_label(name, row)] += 1
        else:
            self.table_writes += 1
            self.writes_by_table[_label(name, row)] += 1

    def queue(self, request: PipelineRequest[Any]) -> None:
        if not _UNCOUNTED.get():
            self.queue_ops += 1

    def reset(self) -> None:
        fresh = StorageCounter(prefix=self.prefix)
        for name in ("table_reads", "table_writes", "queue_ops", "batches", "batched_entities"):
            setattr(self, name, getattr(fresh, name))
        self.writes_by_table, self.reads_by_table = Counter(), Counter()

    def sync_writes(self) -> int:
        """Table writes other than the run's own bookkeeping."""
        bookkeeping = {*_RUN_TABLES, "SyncState:lease", "SyncState:scope"}
        return sum(n for label, n in self.writes_by_table.items() if label not in bookkeeping)

    def snapshot(self) -> dict[str, Any]:
        return {
            "transactions": self.table_reads + self.table_writes + self.queue_ops,
            "table_reads": self.table_reads,
            "table_writes": self.table_writes,
            "queue_ops": self.queue_ops,
            "batches": self.batches,
            "batched_entities": self.batched_entities,
            "sync_writes": self.sync_writes(),
            "writes_by_table": dict(sorted(self.writes_by_table.items())),
            "reads_by_table": dict(sorted(self.reads_by_table.items())),
        }


def _batch_urls(http: Any) -> list[str]:
    """The URL of each operation in a `$batch`: from the SDK's multipart parts, or from the body."""
    info = getattr(http, "multipart_mixed_info", None)
    if info:
        urls: list[str] = []
        for changeset in info[0]:
            inner = getattr(changeset, "multipart_mixed_info", None)
            urls.extend(part.url for part in (inner[0] if inner else [changeset]))
        return urls
    body = getattr(http, "content", None) or getattr(http, "body", None) or b""
    text = body.decode(errors="replace") if isinstance(body, bytes) else str(body)
    return list(_OPERATION.findall(text))


def _target(url: str, prefix: str) -> tuple[str, str | None]:
    path = unquote(urlsplit(url).path).rstrip("/")
    last = path.rsplit("/", 1)[-1]
    name = last.split("(", 1)[0]
    if prefix and name.startswith(prefix):
        name = name[len(prefix) :]
    keys = _KEYS.search(last)
    return name, keys.group(2) if keys else None


def _row_key_of(http: Any) -> str | None:
    """The RowKey of an insert (it travels in the body, not the URL)."""
    try:
        body = http.body if isinstance(http.body, bytes | str) else getattr(http, "data", None)
        return str(json.loads(body)["RowKey"]) if body else None
    except (ValueError, KeyError, TypeError):
        return None


def _read_label(table: str, row: str | None) -> str:
    """A point read by table (the run's totals row and the lease told apart), a query as `Table?`."""
    if row is None:
        return f"{table}?"
    if table == "RunTenants" and row.startswith("~"):
        return "RunTenants:totals"
    return _label(table, row)


def _label(table: str, row: str | None) -> str:
    if table == "SyncState" and row in ("lease",):
        return "SyncState:lease"
    if table == "SyncState" and row is not None and row.startswith(("all", "tenant-")):
        return "SyncState:scope"
    return table


# --- the environment -----------------------------------------------------------------------------


@dataclass
class BenchEnvironment:
    app: App
    simulator: GraphSimulator
    psa: CountingConnector
    storage: StorageCounter
    driver: QueueDriver
    # The last run's CPU seconds: the main thread (the queue driver and the app's handlers: the
    # worker's own cost), the whole process (the Graph simulator's threads too) and Azurite's, if found.
    cpu: dict[str, float] = field(default_factory=dict)


@asynccontextmanager
async def bench_environment(scenario: Scenario, options: BenchOptions) -> AsyncIterator[BenchEnvironment]:
    """The Graph simulator, fresh Azurite tables and queues whose every request is counted, the
    built-in directory loaded with the scenario's clients and contacts, and the queue driver."""
    from functions.sync_worker import tenant_poison, tenant_worker  # the handlers the host calls

    prefix = "bench" + secrets.token_hex(3)
    counter = StorageCounter(prefix=prefix)
    async with simulated_environment(scenario, storage=options.storage, hooks=counter, prefix=prefix) as env:
        app = env.app
        set_app(app)
        driver = QueueDriver(
            env.account,
            tenant_worker.build().get_user_function(),
            tenant_poison.build().get_user_function(),
            batch_size=options.workers,
            new_batch_threshold=(
                options.workers // 2 if options.new_batch_threshold is None else options.new_batch_threshold
            ),
        )
        try:
            yield BenchEnvironment(app=app, simulator=env.simulator, psa=env.psa, storage=counter, driver=driver)
        finally:
            set_app(None)


# --- ingest ------------------------------------------------------------------------------------


def user_pages(users: list[dict[str, Any]], page_size: int = 999) -> list[bytes]:
    """Graph's `/users` pages for these users, as the bytes Graph sends."""
    pages = []
    for start in range(0, len(users), page_size):
        body: dict[str, Any] = {"@odata.context": "https://graph.microsoft.com/v1.0/$metadata#users"}
        if start + page_size < len(users):
            body["@odata.nextLink"] = f"https://graph.microsoft.com/v1.0/users?$skiptoken=s{start + page_size}"
        body["value"] = users[start : start + page_size]
        pages.append(json.dumps(body).encode())
    return pages


def _best(fn: Callable[[], object], repeat: int) -> float:
    best = math.inf
    for _ in range(repeat):
        gc.collect()
        started = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - started)
    return best


def bench_ingest(users: int, *, sdk: bool = True, seed: int = 7) -> dict[str, Any]:
    scenario_users = bench_scenario(BenchShape(tenants=1, users=users, seed=seed)).tenants[0].users
    pages = user_pages(scenario_users)

    def ours() -> None:
        for raw in pages:
            UserPage.model_validate_json(raw)

    def bare() -> None:
        for raw in pages:
            json.loads(raw)

    ours_s, json_s = _best(ours, 5), _best(bare, 5)
    result: dict[str, Any] = {
        "users": users,
        "pages": len(pages),
        "bytes": sum(len(p) for p in pages),
        "ours_s": round(ours_s, 4),
        "json_s": round(json_s, 4),
        "ours_vs_json": round(ours_s / json_s, 2),
    }
    if sdk:
        sdk_s = _best(lambda: _sdk_read(pages), 1)
        result |= {"sdk_s": round(sdk_s, 3), "sdk_vs_ours": round(sdk_s / ours_s, 1)}
    return result


def _sdk_read(pages: list[bytes]) -> None:
    from kiota_serialization_json.json_parse_node_factory import JsonParseNodeFactory
    from msgraph.generated.models.user_collection_response import UserCollectionResponse

    factory = JsonParseNodeFactory()
    for raw in pages:
        node = factory.get_root_parse_node("application/json", raw)
        node.get_object_value(UserCollectionResponse)


# --- end to end --------------------------------------------------------------------------------


async def _map_all(env: BenchEnvironment, scenario: Scenario) -> None:
    """Discover the tenants, then store every tenant's mapping to its own client as confirmed, saying
    on stderr how far it got. The mappings are stored, not decided one by one: each decision checks
    the client against every mapping (R1.7), 2,000 x 2,000 rows before a run of 2,000 tenants could
    start, and the bench measures runs, not mapping (tests/unit and tests/integration cover that)."""
    started = time.perf_counter()
    _say(f"bench setup: discovering {len(scenario.tenants)} tenants")
    await discover(env.app)
    _say(f"bench setup: storing {len(scenario.tenants)} confirmed mappings ({time.perf_counter() - started:.0f} s)")
    now = env.app.clock()
    mappings = [
        Mapping(
            tenant_id=t.tenant_id,
            status=MappingStatus.CONFIRMED,
            client_id=client_id_of(i),
            decided_by="bench",
            decided_at=now,
        )
        for i, t in enumerate(scenario.tenants)
    ]
    for mapping in mappings:
        assert mapping.client_id is not None
        await env.app.mappings.claim_client(mapping.client_id, mapping.tenant_id)
    await env.app.mappings.save_many(mappings)
    _say(f"bench setup: mapped in {time.perf_counter() - started:.0f} s")


def _say(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


async def _timed_run(
    env: BenchEnvironment, run_type: RunType, trigger: Trigger, label: str = "run", every: float = 5.0
) -> tuple[RunRecord, float]:
    env.simulator.clear_requests()
    env.storage.reset()
    env.psa.reset()
    started, worker_cpu, process_cpu = time.perf_counter(), time.thread_time(), time.process_time()
    emulator = emulator_cpu_seconds()
    run, _ = await start_run(env.app, run_type, trigger)

    async def finished() -> bool:
        current = await _uncounted(env.app.runs.get(run.run_id))
        return current is not None and current.status in _FINISHED

    progress = run_progress(
        lambda: _uncounted(env.app.runs.get(run.run_id)),
        f"bench {label}",
        run.tenants_expected,
        extra=lambda: f"peak RSS {peak_rss_mb():.0f} MB",
    )
    await env.driver.drain(finished, limit_seconds=3600, progress=progress, progress_every=every)
    elapsed = time.perf_counter() - started
    env.cpu = {"worker": time.thread_time() - worker_cpu, "process": time.process_time() - process_cpu}
    emulator_now = emulator_cpu_seconds()
    if emulator is not None and emulator_now is not None:
        env.cpu["emulator"] = emulator_now - emulator
    return await _uncounted(run_details(env.app, run.run_id, with_users=False)), elapsed


async def _uncounted(read: Awaitable[T]) -> T:
    """The bench's own storage reads, left out of the run's figures (the worker tasks the driver starts
    afterwards copy the context as it is then, without the flag)."""
    token = _UNCOUNTED.set(True)
    try:
        return await read
    finally:
        _UNCOUNTED.reset(token)


def _phase(env: BenchEnvironment, run: RunRecord, seconds: float, users: int) -> dict[str, Any]:
    records = [r for r in env.simulator.requests if r.service == "graph" and not r.in_batch]
    per_tenant = Counter(r.tenant or "?" for r in records)
    by_path = Counter(r.path for r in records)
    tenants = max(1, run.tenants_expected)
    storage = env.storage.snapshot()
    kinds = Counter(t.pass_kind or "?" for t in run.tenants)
    return {
        "status": run.status.value,
        "seconds": round(seconds, 2),
        "users": users,
        "users_per_second": round(users / seconds, 1) if seconds else None,
        "tenants_per_second": round(run.tenants_expected / seconds, 1) if seconds else None,
        "peak_rss_mb": round(peak_rss_mb(), 1),
        "worker_cpu_seconds": round(env.cpu.get("worker", 0.0), 2),
        "process_cpu_seconds": round(env.cpu.get("process", 0.0), 2),
        # Azurite's CPU in the run (None: not found on this machine); not the app's, but it shares the cores
        "emulator_cpu_seconds": round(env.cpu["emulator"], 2) if "emulator" in env.cpu else None,
        "worker_cpu_ms_per_tenant": round(1000 * env.cpu.get("worker", 0.0) / tenants, 1),
        "users_per_worker_cpu_second": round(users / env.cpu["worker"], 1) if env.cpu.get("worker") else None,
        "pass_kinds": dict(kinds),
        "counts": run.counts.model_dump(),
        "graph_requests": len(records),
        "graph_requests_per_tenant": round(len(records) / tenants, 2),
        "graph_requests_per_tenant_max": max(per_tenant.values(), default=0),
        "graph_requests_by_path": dict(sorted(by_path.items())),
        "token_requests": sum(1 for r in env.simulator.requests if r.service == "login"),
        "psa_calls": env.psa.calls,
        "psa_reads": env.psa.reads,
        "psa_writes": env.psa.writes,
        "psa_fact_writes": env.psa.fact_writes,
        "storage": storage,
        "storage_transactions_per_tenant": round(storage["transactions"] / tenants, 1),
    }


def _minimum(scenario: Scenario) -> dict[str, int]:
    """Per tenant, issue 16's floor: ceil(U/999) user pages (ceil(U/500) with sign-in activity, on a
    tenant with Entra ID P1) plus one `$batch` for the fixed reads (subscribedSkus, the latest Secure
    Score, the MFA report's first page, the delta start). The users' first page rides in that batch,
    so a pass can make one request fewer than this."""
    return {
        t.tenant_id.lower(): math.ceil(max(1, len(t.users)) / (500 if t.premium else 999)) + 1 for t in scenario.tenants
    }


def _against_minimum(env: BenchEnvironment, minimum: dict[str, int]) -> dict[str, Any]:
    """The last run's Graph requests per tenant against that tenant's minimum."""
    measured = Counter(
        (r.tenant or "?").lower() for r in env.simulator.requests if r.service == "graph" and not r.in_batch
    )
    over = Counter(measured[tenant] - least for tenant, least in minimum.items())
    return {
        "measured_average": round(sum(measured[t] for t in minimum) / max(1, len(minimum)), 2),
        "minimum_average": round(sum(minimum.values()) / max(1, len(minimum)), 2),
        "over_minimum_max": max(over, default=0),
        "tenants_by_requests_over_minimum": {str(k): v for k, v in sorted(over.items())},
    }


async def bench_sync(options: BenchOptions) -> dict[str, Any]:
    shape = BenchShape(tenants=options.tenants, users=options.users, seed=options.seed)
    scenario = bench_scenario(shape)
    users = sum(len(t.users) for t in scenario.tenants)
    minimum = _minimum(scenario)
    shape_label, every = f"{options.tenants}x{options.users}", options.progress_every
    async with bench_environment(scenario, options) as env:
        await _map_all(env, scenario)
        rss_before = peak_rss_mb()
        run, seconds = await _timed_run(env, RunType.INITIAL, Trigger.MANUAL, f"{shape_label} full (initial)", every)
        full = _phase(env, run, seconds, users)
        initial_requests = _against_minimum(env, minimum)
        repeat: dict[str, Any] | None = None
        requests = {"initial": initial_requests}
        if not options.target_phases:
            # The same again (a manual run is a full pass): what a daily full pass costs when nothing changed.
            label = f"{shape_label} full (repeat)"
            run, seconds = await _timed_run(env, RunType.ALL_TENANTS, Trigger.MANUAL, label, every)
            repeat = _phase(env, run, seconds, users)
            requests["repeat"] = _against_minimum(env, minimum)
        run, seconds = await _timed_run(env, RunType.ALL_TENANTS, Trigger.TIMER, f"{shape_label} no change", every)
        unchanged = _phase(env, run, seconds, users)
        changed: dict[str, Any] | None = None
        if not options.target_phases:
            ops = bench_changes(scenario, options.changed_share, seed=options.seed)
            for op in ops:
                env.simulator.apply(op)
            run, seconds = await _timed_run(env, RunType.ALL_TENANTS, Trigger.TIMER, f"{shape_label} changed", every)
            changed = _phase(env, run, seconds, users) | {"graph_changes": len(ops)}
    return {
        "shape": {"tenants": options.tenants, "users": options.users, "rss_mb_before_runs": round(rss_before, 1)},
        "full": full,
        "full_repeat": repeat,
        "incremental": {"no_changes": unchanged, "changed": changed},
        "graph_requests_per_tenant_full": requests,
    }


async def run_bench(options: BenchOptions) -> dict[str, Any]:
    started = time.perf_counter()
    ingest = await asyncio.to_thread(bench_ingest, options.ingest_users, sdk=options.sdk, seed=options.seed)
    sync = await bench_sync(options)
    also = []
    for tenants, users in options.also:
        also.append(await bench_sync(dataclasses.replace(options, tenants=tenants, users=users, also=())))
    threshold = options.workers // 2 if options.new_batch_threshold is None else options.new_batch_threshold
    return {
        "machine": _machine(),
        "options": {
            "tenants": options.tenants,
            "users": options.users,
            "workers": options.workers,
            "new_batch_threshold": threshold,
        },
        "ingest": ingest,
        **sync,
        "also": also,
        "targets": _targets(ingest, sync, options),
        "total_seconds": round(time.perf_counter() - started, 1),
    }


def emulator_cpu_seconds() -> float | None:
    """The CPU seconds Azurite has used so far, when it runs on this machine as `make azurite-start`
    starts it (its pid in `.azurite/azurite.pid`, or in AZURITE_PID); None elsewhere. Linux's /proc."""
    import os
    from pathlib import Path

    try:
        pid = os.environ.get("AZURITE_PID") or Path(".azurite/azurite.pid").read_text().strip()
        fields = Path(f"/proc/{int(pid)}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime
    except (OSError, ValueError, IndexError):
        return None


def peak_rss_mb() -> float:
    """This process's peak resident set size so far (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _machine() -> dict[str, Any]:
    import os
    import platform

    return {
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "load_average": [round(n, 2) for n in os.getloadavg()],
    }


def _targets(ingest: dict[str, Any], sync: dict[str, Any], options: BenchOptions) -> dict[str, Any]:
    quiet = sync["incremental"]["no_changes"]
    full = sync["full"]
    per_tenant = sync["graph_requests_per_tenant_full"]
    return {
        "ours_vs_json<=3": ingest["ours_vs_json"] <= 3,
        "no_change_graph_per_tenant<=1": quiet["graph_requests_per_tenant_max"] <= 1,
        "no_change_psa_calls==0": quiet["psa_calls"] == 0,
        "no_change_sync_writes==0": quiet["storage"]["sync_writes"] == 0,
        **{
            f"full_graph_per_tenant<=floor ({name})": figures["over_minimum_max"] <= 0
            for name, figures in per_tenant.items()
        },
        "full_users_per_second>=1000": full["users_per_second"] >= 1000,
        "full_users_per_second_measured_at": f"{options.tenants}x{options.users}",
    }


# --- the table ---------------------------------------------------------------------------------


def render_table(result: dict[str, Any]) -> str:
    ingest = result["ingest"]
    lines = [
        f"ingest of {ingest['users']} users ({ingest['pages']} pages, {ingest['bytes'] / 1e6:.1f} MB):",
        f"  ours {ingest['ours_s']:.4f} s   json.loads {ingest['json_s']:.4f} s   "
        f"ours/json {ingest['ours_vs_json']:.2f}"
        + (f"   sdk {ingest['sdk_s']:.2f} s   sdk/ours {ingest['sdk_vs_ours']:.0f}x" if "sdk_s" in ingest else ""),
    ]
    for sync in [result, *result.get("also", [])]:
        lines += ["", *_shape_lines(sync)]
    lines += ["", "targets: " + ", ".join(f"{k} {_verdict(v)}" for k, v in result["targets"].items())]
    return "\n".join(lines)


def _shape_lines(sync: dict[str, Any]) -> list[str]:
    shape = sync.get("shape", {})
    lines = [
        f"{shape.get('tenants', '?')} tenants x {shape.get('users', '?')} users "
        f"(peak RSS before the runs {shape.get('rss_mb_before_runs', 0):.0f} MB):",
        f"{'phase':<24}{'seconds':>9}{'users/s':>10}{'tenants/s':>10}{'graph/tenant':>13}{'psa calls':>10}"
        f"{'storage tx':>11}{'tx/tenant':>10}{'sync writes':>12}{'cpu ms/tenant':>14}{'azurite cpu s':>14}"
        f"{'RSS MB':>8}  passes",
    ]
    phases = [
        ("full (initial)", sync["full"]),
        ("full (repeat, no change)", sync["full_repeat"]),
        ("incremental, no changes", sync["incremental"]["no_changes"]),
        ("incremental, 1 % changed", sync["incremental"]["changed"]),
    ]
    for name, phase in phases:
        if phase is None:
            continue  # not run (--target-phases)
        lines.append(
            f"{name:<24}{phase['seconds']:>9.2f}{phase['users_per_second'] or 0:>10.0f}"
            f"{phase.get('tenants_per_second') or 0:>10.1f}{phase['graph_requests_per_tenant']:>13.2f}"
            f"{phase['psa_calls']:>10}{phase['storage']['transactions']:>11}"
            f"{phase['storage_transactions_per_tenant']:>10.1f}{phase['storage']['sync_writes']:>12}"
            f"{phase.get('worker_cpu_ms_per_tenant', 0):>14.1f}"
            f"{_or_dash(phase.get('emulator_cpu_seconds')):>14}{phase.get('peak_rss_mb', 0):>8.0f}  "
            + ", ".join(f"{k} {v}" for k, v in phase["pass_kinds"].items())
        )
    for name, figures in sync["graph_requests_per_tenant_full"].items():
        lines.append(
            f"graph requests per tenant, full pass ({name}): {figures['measured_average']} average against a "
            f"floor of {figures['minimum_average']}; tenants by requests over their floor: "
            + ", ".join(
                f"{k:+d}: {v}"
                for k, v in sorted((int(k), v) for k, v in figures["tenants_by_requests_over_minimum"].items())
            )
        )
    return lines


def _or_dash(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


def _verdict(value: object) -> object:
    return "met" if value is True else "MISSED" if value is False else value
