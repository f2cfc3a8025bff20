"""HaloPSA's client credentials (httpx.MockTransport at the HTTP edge): the auth server from authinfo,
one token fetch at a time, the token renewed before it expires, and once at a 401."""

from __future__ import annotations

import asyncio
from urllib.parse import parse_qs

import httpx
import pytest
from pydantic import SecretStr

from shared.errors import PsaError, PsaUnavailable
from shared.psa.halopsa.auth import HaloAuth, HaloTokens
from shared.psa.http import RateLimiter

BASE = "https://nw.halopsa.example/api"


class AuthServer:
    """authinfo and the token endpoint; `lifetime` seconds a token; `answer` overrides the grant."""

    def __init__(self, lifetime: int = 3600) -> None:
        self.lifetime = lifetime
        self.grants: list[dict[str, str]] = []
        self.token_queries: list[str] = []
        self.answer: httpx.Response | None = None
        self.api_tokens: list[str] = []

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(0.01)  # concurrent callers overlap
        if request.url.path == "/api/authinfo":
            return httpx.Response(200, json={"auth_url": "https://auth.halopsa.example/auth"})
        if request.url.path == "/auth/token":
            self.grants.append({k: v[0] for k, v in parse_qs(request.content.decode()).items()})
            self.token_queries.append(request.url.query.decode())
            if self.answer is not None:
                return self.answer
            token = f"token-{len(self.grants)}"
            return httpx.Response(
                200, json={"access_token": token, "expires_in": self.lifetime, "token_type": "Bearer"}
            )
        self.api_tokens.append(request.headers["Authorization"])
        if request.headers["Authorization"] == "Bearer token-1" and request.url.path == "/api/expired":
            return httpx.Response(401)
        return httpx.Response(200, json=[])


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def tokens(server: AuthServer, clock: Clock | None = None, **options: str) -> HaloTokens:
    return HaloTokens(
        base_url=BASE,
        client_id="app",
        client_secret=SecretStr("s3cret"),
        limiter=RateLimiter(1000, 100),
        transport=httpx.MockTransport(server),
        clock=clock or Clock(),
        **options,  # type: ignore[arg-type]
    )


async def test_ten_concurrent_calls_fetch_one_token() -> None:
    server = AuthServer()
    halo = tokens(server)

    got = await asyncio.gather(*[halo.token() for _ in range(10)])

    assert set(got) == {"token-1"} and halo.fetches == 1 and len(server.grants) == 1
    assert server.grants[0] == {
        "grant_type": "client_credentials",
        "client_id": "app",
        "client_secret": "s3cret",
        "scope": "all",
    }
    await halo.aclose()


async def test_the_token_is_renewed_before_it_expires() -> None:
    server, clock = AuthServer(lifetime=600), Clock()
    halo = tokens(server, clock)
    first = await halo.token()

    clock.now = 539  # a tenth of its life (at most a minute) before the end: still good
    assert await halo.token() == first
    clock.now = 541
    assert await halo.token() == "token-2"
    await halo.aclose()


async def test_hosted_halo_adds_the_tenant_and_a_configured_auth_url_skips_authinfo() -> None:
    server = AuthServer()
    halo = tokens(server, tenant="nwmsp", auth_url="https://auth.halopsa.example/auth")

    await halo.token()

    assert server.token_queries == ["tenant=nwmsp"] and server.api_tokens == []
    await halo.aclose()


async def test_a_401_renews_the_token_once_and_sends_the_request_again() -> None:
    server = AuthServer()
    halo = tokens(server)
    limiter = RateLimiter(1000, 100)
    async with httpx.AsyncClient(auth=HaloAuth(halo, limiter), transport=httpx.MockTransport(server)) as client:
        answer = await client.get(f"{BASE}/expired")

    assert answer.status_code == 200 and server.api_tokens == ["Bearer token-1", "Bearer token-2"]
    await halo.aclose()


async def test_refused_credentials_are_a_psa_error_and_a_failing_auth_server_is_unavailable() -> None:
    server = AuthServer()
    halo = tokens(server)
    server.answer = httpx.Response(401, json={"error": "invalid_client"})
    with pytest.raises(PsaError, match="invalid_client") as refused:
        await halo.token()
    assert not isinstance(refused.value, PsaUnavailable) and "s3cret" not in str(refused.value)

    server.answer = httpx.Response(503)
    with pytest.raises(PsaUnavailable):
        await halo.token()
    await halo.aclose()


async def test_an_auth_server_named_over_plain_http_is_refused() -> None:
    from shared.errors import ConfigError
    from shared.psa.building import require_base_url

    async def plain(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"auth_url": "http://auth.halopsa.example/auth"})

    halo = HaloTokens(
        base_url=BASE,
        client_id="app",
        client_secret=SecretStr("s"),
        limiter=RateLimiter(1000, 100),
        transport=httpx.MockTransport(plain),
        check_url=lambda url: require_base_url(url, "auth_url"),
    )
    with pytest.raises(ConfigError, match="https"):
        await halo.token()
    await halo.aclose()
