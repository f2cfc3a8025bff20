"""Plumbing for the PSA fake tests: one connection pool for every client (a fresh httpx client builds
an SSL context, which costs a tenth of a second on a busy machine) and each vendor spec read once."""

from __future__ import annotations

import functools
from typing import Any

import httpx

from shared.devtools.psa_fakes import ConnectWiseFake, SpecChecker

__all__ = ["CW_ACCEPT", "cw_client", "http", "pooled_client", "spec"]

CW_ACCEPT = {"Accept": "application/vnd.connectwise.com+json; version=2025.1"}


class _SharedPool(httpx.BaseTransport):
    """One connection pool under every client: closing a client leaves it open."""

    def __init__(self) -> None:
        self._inner = httpx.HTTPTransport()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        return self._inner.handle_request(request)


@functools.cache
def _pool() -> _SharedPool:
    return _SharedPool()


def pooled_client(**options: Any) -> httpx.Client:
    return httpx.Client(transport=_pool(), timeout=5, **options)


@functools.cache
def http() -> httpx.Client:
    return pooled_client()


@functools.cache
def spec(vendor: str) -> SpecChecker:
    """Each vendor's spec, read once for the whole test run (Halo's takes half a second)."""
    return SpecChecker.load(vendor)


def cw_client(fake: ConnectWiseFake) -> httpx.Client:
    return pooled_client(base_url=fake.base_url, headers={**fake.auth_headers(), **CW_ACCEPT})
