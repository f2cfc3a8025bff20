"""`PsaFake`: the reusable part of a PSA API fake, a real HTTP server on 127.0.0.1.

    with SyncroFake() as fake:                        # a ThreadingHTTPServer on a free port
        httpx.get(f"{fake.base_url}/contacts", headers={"Authorization": fake.api_key})
        fake.assert_conformant()                      # every request matched the vendor's spec

Every request goes, in order, through: the injected faults (`fault`, `slow`, `drop`; each returns the
`PsaFault`, whose `hits` counts the requests it fired on); the auth check (401); the rate limit (429,
with `Retry-After` when the vendor sends it); the body's JSON parse and the `SpecChecker` (a request
that breaks the vendor spec is answered 400 with the problems and kept in `spec_violations`); then the
vendor's route table. Every request is logged in `requests` (method, path, query, status, time, body);
`writes` counts the POST/PUT/PATCH/DELETE requests received, `throttled` the 429 answers, `deletes`
lists the DELETE requests (a sync must never send one). Vendor state sits behind `self._lock`.
"""

from __future__ import annotations

import contextlib
import json
import logging
import socket
import threading
import time
from abc import ABC, abstractmethod
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, ClassVar, Self
from urllib.parse import parse_qs, unquote

from shared.devtools.psa_fakes.faults import FaultSet, PsaFault
from shared.devtools.psa_fakes.ratelimit import RateDecision, RateLimit
from shared.devtools.psa_fakes.spec import SpecChecker
from shared.devtools.psa_fakes.wire import FakeRequest, FakeResponse, Refusal, RequestRecord, Route, SpecViolation
from shared.errors import ConfigError

__all__ = ["PsaFake"]

logger = logging.getLogger(__name__)

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class PsaFake(ABC):
    """One vendor's API on 127.0.0.1; subclasses give the routes, auth and error bodies."""

    vendor: ClassVar[str]
    api_root: ClassVar[str] = "/api/v1"

    def __init__(self, *, limiter: RateLimit | None, send_retry_after: bool, spec: SpecChecker | None = None) -> None:
        self.spec = spec if spec is not None else SpecChecker.load(self.vendor)
        self.limiter = limiter
        self.send_retry_after = send_retry_after
        self._lock = threading.RLock()  # the vendor state
        self._faults = FaultSet()
        self._log: list[RequestRecord] = []
        self._violations: list[SpecViolation] = []
        self._log_lock = threading.Lock()
        self._routes = self.routes()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    # --- what a vendor gives ---------------------------------------------------------------------

    @abstractmethod
    def routes(self) -> list[Route]:
        """The endpoints served, templates relative to `api_root`."""

    @abstractmethod
    def authorized(self, request: FakeRequest) -> bool: ...

    @abstractmethod
    def error(self, status: int, code: str, message: str, details: Any = None) -> FakeResponse:
        """The vendor's error answer."""

    @abstractmethod
    def clients(self) -> list[dict[str, Any]]:
        """The stored clients (customers, companies), as the API would render them."""

    @abstractmethod
    def contacts(self) -> list[dict[str, Any]]:
        """The stored contacts, as the API would render them."""

    def rate_key(self, request: FakeRequest) -> str:
        """What the rate limit counts per: the client IP (every client here is 127.0.0.1)."""
        return "127.0.0.1"

    def decorate(self, response: FakeResponse, decision: RateDecision) -> None:
        """Add the vendor's rate-limit headers to an answer (none by default)."""
        return None

    def throttle_response(self, decision: RateDecision) -> FakeResponse:
        response = self.error(429, "RATE_LIMITED", "Too many requests")
        if self.send_retry_after:
            response.headers["Retry-After"] = str(decision.retry_after_seconds)
        return response

    def check_request(self, request: FakeRequest) -> tuple[Any, list[str]]:
        """The request's parsed JSON body and the ways it breaks the vendor spec (empty: it conforms). A
        vendor overrides it for the endpoints it serves beyond its spec extract (`extract.OutsideExtract`)."""
        body, problems = _parse_body(request)
        if not problems:
            problems = self.spec.check(request.method, request.path, request.query, body, dict(request.headers))
        return body, problems

    def nonconforming(self, problems: list[str]) -> FakeResponse:
        response = self.error(400, "SPEC_VIOLATION", "the request does not conform to the vendor spec", problems)
        response.headers["X-Fake-Spec-Violation"] = "1"
        return response

    # --- lifecycle -------------------------------------------------------------------------------

    def start(self) -> Self:
        if self._server is not None:
            return self
        self._server = _Server(self)
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()
        logger.info("%s fake at %s", self.vendor, self.base_url)
        return self

    def stop(self) -> None:
        server, thread = self._server, self._thread
        self._server, self._thread = None, None
        if server is not None:
            server.shutdown()
            server.server_close()
        if thread is not None:
            thread.join(timeout=5)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    @property
    def root_url(self) -> str:
        """`http://127.0.0.1:PORT`."""
        if self._server is None:
            raise ConfigError(f"the {self.vendor} fake is not started: use start() or a with block")
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    @property
    def base_url(self) -> str:
        """`http://127.0.0.1:PORT/api/v1`: where the vendor's API paths start."""
        return self.root_url + self.api_root

    # --- faults ----------------------------------------------------------------------------------

    def fault(
        self,
        status: int,
        *,
        retry_after: int | None = None,
        times: int | None = 1,
        path_prefix: str | None = None,
        method: str | None = None,
    ) -> PsaFault:
        """Answer matching requests with `status` (the vendor's error body), `Retry-After` if given."""
        if not 400 <= status <= 599:
            raise ValueError(f"a fault answers an error status, not {status}")
        return self._faults.add(PsaFault("status", status, retry_after, 0.0, times, path_prefix, method))

    def slow(
        self, seconds: float, *, times: int | None = 1, path_prefix: str | None = None, method: str | None = None
    ) -> PsaFault:
        """Wait `seconds` before handling matching requests normally."""
        return self._faults.add(PsaFault("slow", None, None, seconds, times, path_prefix, method))

    def drop(self, *, times: int | None = 1, path_prefix: str | None = None, method: str | None = None) -> PsaFault:
        """Close matching requests' connections without an answer."""
        return self._faults.add(PsaFault("drop", None, None, 0.0, times, path_prefix, method))

    def clear_faults(self) -> None:
        """Remove every fault and reset the rate limit."""
        self._faults.clear()
        if self.limiter is not None:
            self.limiter.reset()

    # --- the request log -------------------------------------------------------------------------

    @property
    def requests(self) -> list[RequestRecord]:
        """A copy of the request log, oldest first."""
        with self._log_lock:
            return list(self._log)

    @property
    def writes(self) -> int:
        return sum(1 for record in self.requests if record.method in WRITE_METHODS)

    @property
    def throttled(self) -> int:
        """How many requests were answered 429 (by the rate limit or an injected fault)."""
        return sum(1 for record in self.requests if record.status == 429)

    @property
    def deletes(self) -> list[RequestRecord]:
        """Every DELETE received, whatever its answer: the sync must never send one."""
        return [record for record in self.requests if record.method == "DELETE"]

    @property
    def spec_violations(self) -> list[SpecViolation]:
        with self._log_lock:
            return list(self._violations)

    def assert_conformant(self) -> None:
        """Raise AssertionError listing every request that broke the vendor spec (call at teardown)."""
        violations = self.spec_violations
        if violations:
            listing = "\n".join(f"  {violation}" for violation in violations)
            raise AssertionError(f"{len(violations)} request(s) to the {self.vendor} fake broke its spec:\n{listing}")

    def clear_spec_violations(self) -> None:
        """Forget the spec violations (after a test that broke the spec on purpose)."""
        with self._log_lock:
            self._violations.clear()

    def clear_requests(self) -> None:
        """Forget the request log and the spec violations."""
        with self._log_lock:
            self._log.clear()
            self._violations.clear()

    def request_count(self, *, method: str | None = None, path_prefix: str | None = None) -> int:
        """Requests received, optionally of one method and under a path prefix (as in `fault`)."""
        probe = PsaFault("slow", times=None, path_prefix=path_prefix, method=method)
        return sum(1 for r in self.requests if probe.matches(r.method, (r.path, self._relative(r.path))))

    # --- dispatch --------------------------------------------------------------------------------

    def _relative(self, path: str) -> str:
        if path == self.api_root or path.startswith(self.api_root + "/"):
            return path[len(self.api_root) :] or "/"
        return path

    def _dispatch(self, request: FakeRequest) -> FakeResponse | None:
        """The answer to one request; None: drop the connection without one."""
        delay, fault = self._faults.take(request.method, request.path, self._relative(request.path))
        if delay > 0:
            time.sleep(delay)
        if fault is not None and fault.kind == "drop":
            self._record(request, 0, "drop")
            return None
        if fault is not None and fault.status is not None:
            response = self.error(fault.status, _FAULT_CODES.get(fault.status, "FAULT"), "injected fault")
            if fault.retry_after is not None:
                response.headers["Retry-After"] = str(fault.retry_after)
            self._record(request, response.status, "status")
            return response
        response = self._answer(request)
        self._record(request, response.status, "slow" if delay > 0 else None)
        return response

    def _answer(self, request: FakeRequest) -> FakeResponse:
        if not self.authorized(request):
            return self.error(401, "UNAUTHORIZED", "Not authorized: missing or invalid API key")
        decision = self.limiter.acquire(self.rate_key(request)) if self.limiter is not None else None
        if decision is not None and not decision.allowed:
            response = self.throttle_response(decision)
            self.decorate(response, decision)
            return response
        body, problems = self.check_request(request)
        if problems:
            with self._log_lock:
                self._violations.append(SpecViolation(request.method, request.path, request.query, tuple(problems)))
            response = self.nonconforming(problems)
        else:
            response = self._route(replace(request, json=body))
        if decision is not None:
            self.decorate(response, decision)
        return response

    def _route(self, request: FakeRequest) -> FakeResponse:
        relative = self._relative(request.path)
        under_root = self.api_root == "" or relative != request.path
        if under_root:
            for route in self._routes:
                params = route.match(request.method, relative)
                if params is not None:
                    try:
                        return route.handler(request, params)
                    except Refusal as refusal:
                        return self.error(refusal.status, refusal.code, refusal.message, refusal.details)
                    except Exception:  # a fake's bug: answer 500 rather than drop the connection
                        logger.exception("%s fake failed on %s %s", self.vendor, request.method, request.path)
                        return self.error(500, "INTERNAL_ERROR", "the fake failed")
        if self.spec.template_for(request.method, request.path) is not None:
            return self.error(501, "NOT_IMPLEMENTED", f"the {self.vendor} fake does not serve this endpoint")
        return self.error(404, "NOT_FOUND", "Not found")

    def _record(self, request: FakeRequest, status: int, fault: str | None) -> None:
        body, _ = _parse_body(request)
        record = RequestRecord(request.method, request.path, request.query, status, time.time(), fault, body)
        with self._log_lock:
            self._log.append(record)


_FAULT_CODES = {429: "RATE_LIMITED", 500: "INTERNAL_ERROR", 502: "BAD_GATEWAY", 503: "SERVICE_UNAVAILABLE"}


def _parse_body(request: FakeRequest) -> tuple[Any, list[str]]:
    if not request.raw_body:
        return None, []
    content_type = request.headers.get("content-type", "")
    if "json" not in content_type.lower():
        return None, [f"a body sent as {content_type or 'no Content-Type'!r}, not application/json"]
    try:
        return json.loads(request.raw_body), []
    except ValueError as exc:
        return None, [f"the body is not valid JSON: {exc}"]


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = 300
    wbufsize = -1  # headers and body leave in one send
    disable_nagle_algorithm = True
    server: _Server

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        target, _, query = self.path.partition("?")
        request = FakeRequest(
            self.command.upper(),
            unquote(target),
            parse_qs(query, keep_blank_values=True),
            {name.lower(): value for name, value in self.headers.items()},
            body,
        )
        response = self.server.fake._dispatch(request)
        if response is None:
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)
            return
        payload = response.encode()
        self.send_response(response.status)
        if payload:
            self.send_header("Content-Type", "application/json; charset=utf-8")
        for name, value in response.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve

    def log_message(self, format: str, *args: Any) -> None:
        logger.debug("%s " + format, self.address_string(), *args)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256

    def __init__(self, fake: PsaFake) -> None:
        self.fake = fake
        super().__init__(("127.0.0.1", 0), _Handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        logger.debug("connection from %s ended with an error", client_address, exc_info=True)
