"""HaloPSA's OAuth2 client credentials: the auth server from `GET /api/authinfo` (or the `auth_url`
setting), a token from `POST <auth_url>/token` (`grant_type=client_credentials`, `scope=all`; hosted
Halo adds `?tenant=`), cached and renewed before it expires, one fetch at a time.

`HaloTokens.token` is the only way to a token: concurrent callers wait on one asyncio lock and the
first one fetches, the rest take its token. A token is renewed when less than a tenth of its life (at
most a minute) is left; an API answer of 401 renews it once at once (Halo may end a token early).
Token requests are paced by the same limiter as the API's (Halo counts them in its budget). A refused
credential is a `PsaError` (not one item's fault); an auth server that cannot be reached or answers
5xx or 429 is `PsaUnavailable` (the host retries the tenant).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncGenerator, Callable, Generator

import httpx
from pydantic import SecretStr

from shared.errors import PsaError, PsaUnavailable
from shared.psa.http import Limiter, vendor_message

__all__ = ["HaloAuth", "HaloTokens"]

log = logging.getLogger(__name__)

_MAX_MARGIN = 60.0


class HaloTokens:
    """Access tokens for one Halo API application (see the module docstring). `fetches` counts the
    token requests made."""

    def __init__(
        self,
        *,
        base_url: str,
        client_id: str,
        client_secret: SecretStr,
        limiter: Limiter,
        auth_url: str = "",
        tenant: str = "",
        timeout: float = 30.0,
        transport: httpx.AsyncBaseTransport | None = None,
        clock: Callable[[], float] = time.monotonic,
        check_url: Callable[[str], str] = str,
    ) -> None:
        self._base_url = base_url.rstrip("/")
        self._client_id = client_id
        self._secret = client_secret
        self._limiter = limiter
        self._auth_url = auth_url.rstrip("/")
        self._tenant = tenant
        self._clock = clock
        self._check_url = check_url
        self._http = httpx.AsyncClient(timeout=timeout, transport=transport, headers={"User-Agent": "entra-psa-sync"})
        self._lock = asyncio.Lock()
        self._token: str | None = None
        self._renew_at = 0.0
        self.fetches = 0

    async def aclose(self) -> None:
        await self._http.aclose()

    async def token(self, *, stale: str | None = None) -> str:
        """A live token; `stale`: one the API refused, never answered again."""
        if self._fresh(stale):
            assert self._token is not None
            return self._token
        async with self._lock:
            if self._fresh(stale):  # another caller fetched it while this one waited
                assert self._token is not None
                return self._token
            return await self._fetch()

    def _fresh(self, stale: str | None) -> bool:
        return self._token is not None and self._token != stale and self._clock() < self._renew_at

    async def _fetch(self) -> str:
        auth_url = self._auth_url or await self._discover()
        form = {
            "grant_type": "client_credentials",
            "client_id": self._client_id,
            "client_secret": self._secret.get_secret_value(),
            "scope": "all",
        }
        params = {"tenant": self._tenant} if self._tenant else None
        answer = await self._send("POST", f"{auth_url}/token", params=params, data=form)
        try:
            grant = answer.json()
            token, lifetime = str(grant["access_token"]), float(grant.get("expires_in") or 3600)
        except (ValueError, KeyError, TypeError) as exc:
            raise PsaUnavailable("halopsa's auth server answered without an access token") from exc
        self.fetches += 1
        self._token = token
        self._renew_at = self._clock() + lifetime - min(_MAX_MARGIN, lifetime / 10)
        log.info("halopsa: new access token, good for %.0fs", lifetime)
        return token

    async def _discover(self) -> str:
        answer = await self._send("GET", f"{self._base_url}/authinfo")
        try:
            url = str(answer.json()["auth_url"]).rstrip("/")
        except (ValueError, KeyError, TypeError) as exc:
            raise PsaUnavailable("halopsa's /api/authinfo did not name its auth server (auth_url)") from exc
        self._auth_url = self._check_url(url)  # https, or http on loopback only
        return self._auth_url

    async def _send(
        self, method: str, url: str, *, params: dict[str, str] | None = None, data: dict[str, str] | None = None
    ) -> httpx.Response:
        await self._limiter.acquire()
        try:
            response = await self._http.request(method, url, params=params, data=data)
        except httpx.TransportError as exc:
            raise PsaUnavailable(f"halopsa's auth server could not be reached ({type(exc).__name__})") from exc
        if response.status_code == 429 or response.status_code >= 500:
            raise PsaUnavailable(f"halopsa's auth server: {vendor_message(response)}", status=response.status_code)
        if response.status_code >= 400:
            # Never the secret: the vendor's words only.
            raise PsaError(
                f"halopsa refused the API application's credentials ({vendor_message(response)})",
                status=response.status_code,
            )
        return response


class HaloAuth(httpx.Auth):
    """Bearer auth from `HaloTokens`; a 401 renews the token and sends the request once more (paced)."""

    def __init__(self, tokens: HaloTokens, limiter: Limiter) -> None:
        self._tokens = tokens
        self._limiter = limiter

    def sync_auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        raise RuntimeError("HaloAuth works with httpx.AsyncClient only")

    async def async_auth_flow(self, request: httpx.Request) -> AsyncGenerator[httpx.Request, httpx.Response]:
        token = await self._tokens.token()
        request.headers["Authorization"] = f"Bearer {token}"
        response = yield request
        if response.status_code == 401:
            token = await self._tokens.token(stale=token)
            request.headers["Authorization"] = f"Bearer {token}"
            await self._limiter.acquire()
            yield request
