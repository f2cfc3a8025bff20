"""`GraphSimulator`: Microsoft Graph and its token endpoint as two real HTTP servers on 127.0.0.1.

    with GraphSimulator(load_scenario("northwind.json")) as sim:
        credential = ClientSecretCredential(
            sim.partner_tenant_id, sim.client_id, sim.client_secret,
            authority=sim.authority, disable_instance_discovery=True,
            additionally_allowed_tenants=["*"], connection_verify=sim.ca_path,
        )
        token = credential.get_token("https://graph.microsoft.com/.default", tenant_id=customer)
        # Graph at sim.graph_url (http://127.0.0.1:PORT/v1.0) with that bearer token

The token endpoint (`sim.authority`, https with a certificate made at start-up) works with the
real azure-identity code: sync credentials take the CA bundle as `connection_verify=sim.ca_path`
(requests), and so do the `azure.identity.aio` credentials (azure-core's aiohttp transport turns a
`connection_verify` path into an SSL context with that CA file); no environment variable needed.
With msgraph-sdk, give the request adapter `base_url = sim.graph_url`, and an auth provider that
asks for the scope `https://graph.microsoft.com/.default` (kiota would otherwise derive the scope
`http://127.0.0.1/.default` from the URL, and Graph refuses a token for another audience) and
passes `tenant_id` per customer, e.g. `AzureIdentityAuthenticationProvider(credential,
options={"tenant_id": customer}, scopes=[...], allowed_hosts=["127.0.0.1"])`.

Both servers are `ThreadingHTTPServer`s speaking HTTP/1.1 with keep-alive, each in a daemon
thread; pages are built from plain dicts with `json.dumps`. Faults are switched at run time
(`throttle`, `unavailable`, `slow`, `fail`, `fail_tokens`, `expire_delta_tokens`), and every request
is logged in `requests` (service, method, path, query, tenant, status) to count calls per tenant.

Change notifications (issue 15): `sim.subscriptions` serves `/subscriptions` (validating the app's
endpoint over HTTP before it answers a create), and `sim.notifier` posts change and lifecycle
notifications to the app when a test or a scenario step asks (`subscriptions_api`, `notifier`).
"""

from __future__ import annotations

import logging
import secrets
import shutil
import ssl
import tempfile
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any

from pydantic import TypeAdapter

from shared.devtools.simulator.faults import Fault, FaultSet, RateLimiter, Service
from shared.devtools.simulator.graph_api import GraphApi
from shared.devtools.simulator.login_api import LoginApi
from shared.devtools.simulator.notifier import Notifier
from shared.devtools.simulator.scenario import GraphOp, Scenario, load_scenario
from shared.devtools.simulator.state import DirectoryState
from shared.devtools.simulator.subscriptions_api import SubscriptionsApi
from shared.devtools.simulator.tls import TlsFiles, make_tls_files
from shared.devtools.simulator.tokens import TokenIssuer
from shared.devtools.simulator.wire import Request, Response
from shared.errors import ConfigError

__all__ = ["GraphSimulator", "RequestRecord"]

logger = logging.getLogger(__name__)

GRAPH_AUDIENCE = "https://graph.microsoft.com"
_GRAPH_OP: TypeAdapter[GraphOp] = TypeAdapter(GraphOp)


@dataclass(frozen=True)
class RequestRecord:
    service: Service  # "graph" or "login"
    method: str
    path: str  # Graph: relative to /v1.0, normalised (/users/delta, .../graph.user); login: as sent
    query: dict[str, str]
    tenant: str | None  # the tenant of the bearer token (Graph) or of the URL (login)
    status: int
    error: str | None = None  # Graph error code or Entra error
    in_batch: bool = False  # a request inside a $batch (the $batch itself is logged too)
    at: float = 0.0


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = 300  # close keep-alive connections idle this long
    wbufsize = -1  # buffer the response: headers and body leave in one send (no Nagle / delayed-ACK stall)
    disable_nagle_algorithm = True
    server: _Server

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        request = Request.build(self.command, self.path, dict(self.headers.items()), body)
        try:
            response = self.server.app(request)
        except Exception:  # a simulator bug: answer 500 rather than drop the connection
            logger.exception("graph simulator failed on %s %s", self.command, self.path)
            response = Response(500, b'{"error":{"code":"generalException","message":"simulator error"}}')
        self.send_response(response.status)
        for name, value in response.headers.items():
            self.send_header(name, value)
        self.send_header("request-id", request.request_id)
        self.send_header("client-request-id", request.client_request_id)
        self.send_header("Content-Length", str(len(response.body)))
        self.end_headers()
        self.wfile.write(response.body)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve

    def log_message(self, format: str, *args: Any) -> None:
        logger.debug("%s " + format, self.address_string(), *args)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256  # the default listen backlog of 5 stalls 50 parallel clients

    def __init__(self, app: Any, ssl_context: ssl.SSLContext | None = None) -> None:
        self.app = app
        self.ssl_context = ssl_context
        super().__init__(("127.0.0.1", 0), _Handler)

    def finish_request(self, request: Any, client_address: Any) -> None:
        if self.ssl_context is not None:
            try:  # the TLS handshake runs in the connection's own thread
                request = self.ssl_context.wrap_socket(request, server_side=True)
            except (ssl.SSLError, OSError):
                return
        super().finish_request(request, client_address)

    def handle_error(self, request: Any, client_address: Any) -> None:
        logger.debug("connection from %s ended with an error", client_address, exc_info=True)


class GraphSimulator:
    """Serves a scenario as Microsoft Graph v1.0 plus its token endpoint; see the module docstring."""

    def __init__(
        self,
        scenario: Scenario | str | Path,
        *,
        client_id: str = "sim-client-id",
        client_secret: str = "sim-client-secret",
        report_rate_limit: tuple[int, float] = (5, 10.0),
        token_lifetime: int = 3599,
    ) -> None:
        self.scenario = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
        self.client_id, self.client_secret = client_id, client_secret
        self.partner_tenant_id = self.scenario.partner.tenant_id
        self.state = DirectoryState(self.scenario)
        self.tokens = TokenIssuer(token_lifetime)
        self.faults = FaultSet()
        self._log: list[RequestRecord] = []
        self._log_lock = threading.Lock()
        self.report_limiter = RateLimiter(*report_rate_limit)
        self.graph = GraphApi(
            self.state,
            self.tokens,
            self.faults,
            self._record_graph,
            report_limiter=self.report_limiter,
            instance_id=secrets.token_hex(4),
        )
        self.subscriptions = SubscriptionsApi()  # POST/PATCH/DELETE /subscriptions, with Graph's validation request
        self.graph.subscriptions = self.subscriptions.handle
        self.notifier = Notifier(self.subscriptions)  # change and lifecycle notifications, sent when asked
        self.login = LoginApi(
            self.state, self.tokens, self.faults, self._record_login, client_id=client_id, client_secret=client_secret
        )
        self._servers: list[_Server] = []
        self._threads: list[threading.Thread] = []
        self._tmp: Path | None = None
        self._tls: TlsFiles | None = None

    # --- lifecycle -------------------------------------------------------------------------------

    def start(self) -> GraphSimulator:
        if self._servers:
            return self
        self._tmp = Path(tempfile.mkdtemp(prefix="graph-sim-"))
        self._tls = make_tls_files(self._tmp)
        graph_server = _Server(self.graph.handle)
        login_server = _Server(self.login.handle, self._tls.server_context())
        self._servers = [graph_server, login_server]
        self.graph.base_url = f"http://127.0.0.1:{graph_server.server_address[1]}/v1.0"
        self.login.authority = f"https://127.0.0.1:{login_server.server_address[1]}"
        for server in self._servers:
            thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
            thread.start()
            self._threads.append(thread)
        logger.info("graph simulator at %s, token endpoint at %s", self.graph_url, self.authority)
        return self

    def stop(self) -> None:
        self.notifier.close()
        stoppers = [threading.Thread(target=server.shutdown) for server in self._servers]
        for stopper in stoppers:
            stopper.start()
        for stopper in stoppers:
            stopper.join(timeout=5)
        for server in self._servers:
            server.server_close()
        for thread in self._threads:
            thread.join(timeout=5)
        self._servers, self._threads = [], []
        if self._tmp is not None:
            shutil.rmtree(self._tmp, ignore_errors=True)
            self._tmp, self._tls = None, None

    def __enter__(self) -> GraphSimulator:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    @property
    def graph_url(self) -> str:
        """`http://127.0.0.1:PORT/v1.0`: the request adapter's base_url."""
        self._require_started()
        return self.graph.base_url

    @property
    def authority(self) -> str:
        """`https://127.0.0.1:PORT`: the credential's authority (the token endpoint, over TLS)."""
        self._require_started()
        return self.login.authority

    @property
    def consent_granted(self) -> list[str]:
        """Tenant ids an administrator consented for on the simulated admin-consent page, in order."""
        return list(self.login.consent.granted)

    @property
    def ca_path(self) -> str:
        """The CA bundle (PEM) to trust for the token endpoint: `connection_verify=sim.ca_path`."""
        self._require_started()
        assert self._tls is not None
        return str(self._tls.ca_path)

    def _require_started(self) -> None:
        if not self._servers:
            raise ConfigError("the graph simulator is not started: use start() or a with block")

    # --- scenario changes ------------------------------------------------------------------------

    def apply(self, op: GraphOp | Mapping[str, Any]) -> None:
        """Apply one Graph change of a scenario step (a model, or its JSON form as a dict)."""
        self.state.apply(op if not isinstance(op, Mapping) else _GRAPH_OP.validate_python(op))

    def configure_tenant(
        self,
        tenant_id: str,
        *,
        consented: bool | None = None,
        premium: bool | None = None,
        relationship: str | None = None,
    ) -> None:
        """Change a tenant's consent, Entra ID P1 or GDAP relationship status at run time."""
        self.state.configure(tenant_id, consented=consented, premium=premium, relationship=relationship)

    def issue_token(self, tenant_id: str) -> str:
        """A Graph token for a tenant without the token endpoint (for tests of other parts)."""
        return self.tokens.issue(self.state.get(tenant_id).tenant_id, self.client_id, GRAPH_AUDIENCE)

    # --- faults ----------------------------------------------------------------------------------

    def fail(
        self,
        status: int,
        *,
        tenant: str | None = None,
        path: str | None = None,
        times: int | None = 1,
        retry_after: int | None = None,
        code: str | None = None,
        message: str | None = None,
    ) -> Fault:
        """Answer matching Graph requests with `status` (Graph's error body), `times` times
        (None: until removed). `path` is a prefix relative to /v1.0, e.g. "/users"."""
        return self.faults.add(Fault("graph", status, 0.0, tenant, path, times, retry_after, code, message))

    def throttle(
        self, *, tenant: str | None = None, path: str | None = None, times: int | None = 1, retry_after: int = 1
    ) -> Fault:
        """429 TooManyRequests with `Retry-After: retry_after`."""
        return self.fail(429, tenant=tenant, path=path, times=times, retry_after=retry_after)

    def unavailable(
        self, *, tenant: str | None = None, path: str | None = None, times: int | None = 1, retry_after: int | None = 1
    ) -> Fault:
        """503 serviceNotAvailable, with `Retry-After` unless None."""
        return self.fail(503, tenant=tenant, path=path, times=times, retry_after=retry_after)

    def slow(
        self, delay: float, *, tenant: str | None = None, path: str | None = None, times: int | None = None
    ) -> Fault:
        """Delay matching Graph requests by `delay` seconds, then answer them normally."""
        return self.faults.add(Fault("graph", None, delay, tenant, path, times))

    def fail_tokens(
        self,
        *,
        tenant: str | None = None,
        times: int | None = None,
        status: int = 400,
        error: str = "temporarily_unavailable",
        message: str | None = None,
    ) -> Fault:
        """Make the token endpoint (discovery included) answer `status` with Entra's error body."""
        return self.faults.add(Fault("login", status, 0.0, tenant, None, times, None, error, message))

    def remove_fault(self, fault: Fault) -> None:
        self.faults.remove(fault)

    def clear_faults(self) -> None:
        """Remove every fault and reset the MFA report's rate limit."""
        self.faults.clear()
        self.report_limiter.reset()

    def expire_delta_tokens(self, tenant_id: str) -> None:
        """Every delta and skip token issued so far for the tenant answers 410 syncStateNotFound."""
        self.state.expire_delta_tokens(tenant_id)

    # --- request log -----------------------------------------------------------------------------

    @property
    def requests(self) -> list[RequestRecord]:
        """A copy of the request log, oldest first."""
        with self._log_lock:
            return list(self._log)

    def request_count(
        self,
        *,
        tenant: str | None = None,
        path: str | None = None,
        service: Service = "graph",
        include_batched: bool = False,
    ) -> int:
        """How many requests reached a service, optionally for one tenant and a path prefix."""
        prefix = path.rstrip("/").lower() if path is not None else None
        count = 0
        for record in self.requests:
            if record.service != service or (record.in_batch and not include_batched):
                continue
            if tenant is not None and (record.tenant or "").lower() != tenant.lower():
                continue
            lowered = record.path.lower()
            if prefix is not None and not (lowered == prefix or lowered.startswith(prefix + "/")):
                continue
            count += 1
        return count

    def clear_requests(self) -> None:
        with self._log_lock:
            self._log.clear()

    def _record_graph(
        self, request: Request, path: str, tenant: str | None, response: Response, in_batch: bool
    ) -> None:
        self._record("graph", request, path, tenant, response, in_batch)

    def _record_login(self, request: Request, path: str, tenant: str | None, response: Response) -> None:
        self._record("login", request, path, tenant, response, False)

    def _record(
        self, service: Service, request: Request, path: str, tenant: str | None, response: Response, in_batch: bool
    ) -> None:
        record = RequestRecord(
            service,
            request.method,
            path,
            request.query,
            tenant,
            response.status,
            response.error_code,
            in_batch,
            time.time(),
        )
        with self._log_lock:
            self._log.append(record)
