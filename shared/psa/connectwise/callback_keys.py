"""`ConnectWiseKeyFetcher`: the signing keys of ConnectWise callbacks, fetched from the key URL a
callback names (after `shared.security.connectwise.check_key_url` said the URL may serve one) and
cached by URL.

A key is kept for `ttl` seconds. A callback whose signature does not match a cached key that is
older than `refresh_after` seconds gets the key fetched once more (ConnectWise may have rotated it);
a younger one does not, so a stream of forged callbacks costs at most one fetch per URL per
`refresh_after`. The answer is read as `{"signing_key": ...}` (the shape public verifiers read; the
exact key of the field is unconfirmed, so `signingKey` and `key` are read too). The fetcher takes an
`httpx.AsyncClient` (tests give it one on `HostMap`); without one it makes its own on first use.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass

import httpx

from shared.errors import PsaUnavailable
from shared.security.connectwise import check_key_url
from shared.security.signature import SignatureRejected

__all__ = ["ConnectWiseKeyFetcher", "SigningKey"]


@dataclass(frozen=True)
class SigningKey:
    value: str
    fetched_at: float


class ConnectWiseKeyFetcher:
    """Signing keys by key URL (see the module docstring). `fetches` counts the keys fetched."""

    def __init__(
        self,
        client: httpx.AsyncClient | None = None,
        *,
        ttl: float = 24 * 3600.0,
        refresh_after: float = 300.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._client = client
        self._own = client is None
        self._ttl, self._refresh_after, self._clock = ttl, refresh_after, clock
        self._keys: dict[str, SigningKey] = {}
        self._lock = asyncio.Lock()
        self.fetches = 0

    async def aclose(self) -> None:
        if self._own and self._client is not None:
            await self._client.aclose()
            self._client = None

    async def key(self, url: str, *, refresh: bool = False) -> str:
        """The signing key at `url` (checked again here: nothing is fetched from another host).
        `refresh`: the cached key did not verify; fetch anew if it is old enough to have rotated."""
        url = check_key_url(url)
        async with self._lock:
            held = self._keys.get(url)
            age = self._clock() - held.fetched_at if held is not None else None
            rotated = refresh and age is not None and age >= self._refresh_after
            if held is not None and age is not None and age < self._ttl and not rotated:
                return held.value
            value = await self._fetch(url)
            self._keys[url] = SigningKey(value, self._clock())
            return value

    def cached_age(self, url: str) -> float | None:
        held = self._keys.get(url)
        return self._clock() - held.fetched_at if held is not None else None

    async def _fetch(self, url: str) -> str:
        if self._client is None:
            self._client = httpx.AsyncClient(timeout=10.0, follow_redirects=False)
        self.fetches += 1
        try:
            response = await self._client.get(url, headers={"Accept": "application/json"})
        except httpx.TransportError as exc:
            raise PsaUnavailable(f"the ConnectWise signing key could not be fetched ({type(exc).__name__})") from exc
        if response.status_code == 429 or response.status_code >= 500:
            raise PsaUnavailable(f"the ConnectWise signing key could not be fetched ({response.status_code})")
        if response.status_code != 200:
            status = response.status_code
            raise SignatureRejected(f"ConnectWise serves no signing key at the callback's key URL ({status})")
        try:
            answer = response.json()
        except ValueError as exc:
            raise SignatureRejected("the callback's key URL answered something other than a signing key") from exc
        names = ("signing_key", "signingKey", "key")
        key = next((answer[n] for n in names if n in answer), None) if isinstance(answer, dict) else None
        if not isinstance(key, str) or not key:
            raise SignatureRejected("the callback's key URL answered something other than a signing key")
        return key
