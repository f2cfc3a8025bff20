"""Auth hooks: the vendor's API key headers, added to every request (never logged)."""

from __future__ import annotations

from collections.abc import Generator, Mapping

import httpx
from pydantic import SecretStr

__all__ = ["HeaderAuth"]


class HeaderAuth(httpx.Auth):
    """Sets fixed headers on each request; secret values stay `SecretStr` until sent."""

    def __init__(self, headers: Mapping[str, str | SecretStr]) -> None:
        self._headers = dict(headers)

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        for name, value in self._headers.items():
            request.headers[name] = value.get_secret_value() if isinstance(value, SecretStr) else value
        yield request
