"""`PsaHttpClient`: the one HTTP client of a REST connector, with its pacing, retries and error mapping.

Every request: waits for the process's rate limiter (`pacing`), is sent with the auth hook, and is
mapped by its answer:

| answer | meaning | done |
|---|---|---|
| 2xx | taken | returned |
| 429 | throttled | limiter paused for `Retry-After` (seconds or date) or the backoff, retried |
| 5xx, 408, timeout, connection reset | outage | retried with exponential backoff and jitter |
| 401, 403 | the key or its permissions | `PsaError` (not one item's fault, not transient) |
| other 4xx | this item refused | `PsaRefused` with the vendor's message, not retried |

Retries are tenacity's (`RetryPolicy.attempts` tries in all); after the last, or when the vendor
asks for a wait longer than `RetryPolicy.max_wait` (the worker would do better to let the host retry
the tenant later), `PsaUnavailable`. A POST (a create) is repeated only when the vendor cannot have
taken it (429, 503, 408, or the connection never opened): after a timeout or a reset mid-request it may
have, so `PsaUnavailable` is raised at once and the tenant's retry finds the contact by email
instead of making a second one (R8.5).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

import httpx
from pydantic import BaseModel, ValidationError
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception_type, stop_after_attempt
from tenacity.stop import stop_base
from tenacity.wait import wait_exponential_jitter

from shared.errors import PsaError, PsaRefused, PsaUnavailable
from shared.psa.http.messages import vendor_message
from shared.psa.http.pacing import Limiter
from shared.psa.http.retry_after import retry_after_seconds
from shared.psa.http.stats import RequestStats

__all__ = ["PsaHttpClient", "RetryPolicy"]

log = logging.getLogger(__name__)

Params = Mapping[str, str | int | list[str] | list[int]]
M = TypeVar("M", bound=BaseModel)
_NEVER_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


@dataclass(frozen=True)
class RetryPolicy:
    """`attempts` tries in all; backoff from `initial_wait` doubling to `max_wait` seconds, with jitter;
    a `Retry-After` above `max_wait` is not waited for. `timeout`: seconds per request."""

    attempts: int = 6
    initial_wait: float = 1.0
    max_wait: float = 60.0
    timeout: float = 30.0


class _Transient(Exception):
    """An answer worth another try: throttled, or the vendor or the network failed."""

    def __init__(self, message: str, *, status: int | None, retry_after: float | None, throttled: bool) -> None:
        super().__init__(message)
        self.status = status
        self.retry_after = retry_after
        self.throttled = throttled


class _WaitTooLong(stop_base):
    """Stop when the vendor asks for a longer wait than the policy allows."""

    def __init__(self, limit: float) -> None:
        self.limit = limit

    def __call__(self, retry_state: RetryCallState) -> bool:
        exc = retry_state.outcome.exception() if retry_state.outcome else None
        return isinstance(exc, _Transient) and exc.retry_after is not None and exc.retry_after > self.limit


class PsaHttpClient:
    """One vendor account's HTTP client. `limiter` is the account's (`shared.psa.building.limiter_for`);
    `stats` counts what was sent. Close with `aclose`."""

    def __init__(
        self,
        *,
        vendor: str,
        base_url: str,
        auth: httpx.Auth,
        limiter: Limiter,
        policy: RetryPolicy,
        transport: httpx.AsyncBaseTransport | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        refusal: Callable[[httpx.Response], bool] | None = None,
    ) -> None:
        """`refusal`: the vendor's own way of refusing one item beyond a 4xx (Autotask: a 500 with an
        `errors` array), answered `PsaRefused` instead of being retried as an outage."""
        self.vendor = vendor
        self._refusal = refusal
        self.limiter = limiter
        self.policy = policy
        self.stats = RequestStats()
        self._sleep = sleep
        self._backoff = wait_exponential_jitter(
            multiplier=policy.initial_wait, max=policy.max_wait, jitter=policy.initial_wait
        )
        self._http = httpx.AsyncClient(
            base_url=base_url.rstrip("/") + "/",
            auth=auth,
            timeout=httpx.Timeout(policy.timeout, connect=min(10.0, policy.timeout)),
            headers={"Accept": "application/json", "User-Agent": "entra-psa-sync"},
            transport=transport,
        )

    async def aclose(self) -> None:
        await self._http.aclose()

    async def json(
        self,
        method: str,
        path: str,
        *,
        params: Params | None = None,
        body: Any = None,
        headers: Mapping[str, str] | None = None,
    ) -> Any:
        """The parsed JSON answer of a request (None for an empty body); see `request`."""
        response = await self.request(method, path, params=params, body=body, headers=headers)
        if not response.content:
            return None
        try:
            return response.json()
        except ValueError as exc:
            raise PsaUnavailable(f"{self.vendor} answered {method} {path} with a body that is not JSON") from exc

    def shape(self, model: type[M], answer: Any) -> M:
        """`answer` read as `model`; an answer of another shape is the vendor's fault, not an item's:
        `PsaUnavailable` (the tenant is retried later), never a crash."""
        try:
            return model.model_validate(answer)
        except ValidationError as exc:
            problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()[:3])
            raise PsaUnavailable(
                f"{self.vendor} answered in a shape this connector does not know ({problems})"
            ) from exc

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: Params | None = None,
        body: Any = None,
        headers: Mapping[str, str] | None = None,
    ) -> httpx.Response:
        """Send, paced and retried (module docstring). `path` is relative to the base URL; `headers`
        go on this request only (e.g. ConnectWise's `pagination-type`)."""
        retrying = AsyncRetrying(
            stop=stop_after_attempt(self.policy.attempts) | _WaitTooLong(self.policy.max_wait),
            wait=self._wait,
            retry=retry_if_exception_type(_Transient),
            before_sleep=self._before_sleep,
            sleep=self._sleep,
            reraise=True,
        )
        try:
            response: httpx.Response = await retrying(
                self._once, method.upper(), path.lstrip("/"), params, body, headers
            )
        except _Transient as exc:
            raise PsaUnavailable(
                f"{self.vendor} {method.upper()} /{path.lstrip('/')}: {exc}", status=exc.status
            ) from exc
        return response

    async def _once(
        self, method: str, path: str, params: Params | None, body: Any, headers: Mapping[str, str] | None
    ) -> httpx.Response:
        self.stats.paced_seconds += await self.limiter.acquire()
        self.stats.requests += 1
        try:
            response = await self._http.request(method, path, params=params, json=body, headers=headers)
        except httpx.TransportError as exc:
            self.stats.transport_errors += 1
            what = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
            if method == "POST" and not isinstance(exc, _NEVER_SENT):
                # It may have been taken: the tenant's retry looks the contact up instead (R8.5).
                raise PsaUnavailable(f"{self.vendor} POST /{path} failed mid-request ({what}); not repeated") from exc
            raise _Transient(what, status=None, retry_after=None, throttled=False) from exc
        status = response.status_code
        if status < 400:
            return response
        message = vendor_message(response)
        if self._refusal is not None and self._refusal(response):
            raise PsaRefused(message, status=status)
        if status == 429:
            self.stats.throttled += 1
            wait = retry_after_seconds(response.headers.get("Retry-After"))
            raise _Transient(message, status=status, retry_after=wait, throttled=True)
        if status >= 500 or status == 408:
            self.stats.server_errors += 1
            if method == "POST" and status not in (503, 408):
                raise PsaUnavailable(f"{self.vendor} POST /{path}: {message}; not repeated", status=status)
            wait = retry_after_seconds(response.headers.get("Retry-After"))
            raise _Transient(message, status=status, retry_after=wait, throttled=False)
        if status in (401, 403):
            raise PsaError(f"{self.vendor} refused the API key or its permissions ({message})", status=status)
        raise PsaRefused(message, status=status)

    def _wait(self, retry_state: RetryCallState) -> float:
        exc = retry_state.outcome.exception() if retry_state.outcome else None
        if isinstance(exc, _Transient) and exc.retry_after is not None:
            return exc.retry_after  # the vendor said how long
        return float(self._backoff(retry_state))

    async def _before_sleep(self, retry_state: RetryCallState) -> None:
        wait = retry_state.next_action.sleep if retry_state.next_action else 0.0
        exc = retry_state.outcome.exception() if retry_state.outcome else None
        self.stats.retries += 1
        self.stats.retry_seconds += wait
        if isinstance(exc, _Transient) and exc.throttled:
            self.limiter.pause(wait)  # every request of the process waits, not only this one
        log.info("%s: %s; try %d again in %.2fs", self.vendor, exc, retry_state.attempt_number + 1, wait)
