"""The registry: `PSA_PROVIDER` to the connector, built from its nested settings (`PSA_<PROVIDER>__*`).

A REST connector gets one `PsaHttpClient`: its base URL (https, or http on loopback only), its auth
hook, the process's shared rate limiter for that account, and its retry policy (`shared.psa.building`;
HaloPSA, ConnectWise PSA and Autotask build theirs in their packages). A missing or malformed setting
is a `ConfigError` naming it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import httpx
from pydantic import SecretStr

from shared.config import PsaHttpSettings, PsaProvider, Settings
from shared.errors import ConfigError
from shared.psa.alga import AlgaConnector
from shared.psa.autotask import build_autotask
from shared.psa.building import limiter_for, require_base_url, require_secret, retry_policy
from shared.psa.connectwise import build_connectwise
from shared.psa.directory import TableDirectory
from shared.psa.halopsa import build_halo
from shared.psa.http import HeaderAuth, Pace, PsaHttpClient
from shared.psa.port import PsaConnector
from shared.psa.syncro import SyncroConnector
from shared.store.account import StorageAccount

__all__ = ["build_connector", "http_client", "require_base_url"]

Transport = httpx.AsyncBaseTransport | None


def build_connector(
    settings: Settings, account: StorageAccount | None = None, *, transport: Transport = None
) -> PsaConnector:
    """The connector `PSA_PROVIDER` names. `account`: the storage the built-in directory lives in (a
    REST connector needs none); `transport`: a REST connector's HTTP transport (tests)."""
    builder = _BUILDERS.get(settings.psa_provider)
    if builder is None:
        raise ConfigError(f"PSA_PROVIDER {settings.psa_provider.value!r} has no connector yet")
    return builder(settings, account, transport)


def _directory(settings: Settings, account: StorageAccount | None, transport: Transport) -> PsaConnector:
    if account is None:
        raise ConfigError("PSA_PROVIDER 'directory' keeps contacts in the storage account: none was given")
    return TableDirectory(account)


def _syncro(settings: Settings, account: StorageAccount | None, transport: Transport) -> PsaConnector:
    conn = settings.psa_syncro
    key = _require_key(settings, conn, "PSA_SYNCRO")
    http = http_client("syncro", conn, "PSA_SYNCRO", settings.psa_max_instances, {"Authorization": key}, transport)
    return SyncroConnector(http)


def _alga(settings: Settings, account: StorageAccount | None, transport: Transport) -> PsaConnector:
    conn = settings.psa_alga
    headers: dict[str, str | SecretStr] = {"x-api-key": _require_key(settings, conn, "PSA_ALGA")}
    if conn.tenant_id:
        headers["x-tenant-id"] = conn.tenant_id
    return AlgaConnector(http_client("alga", conn, "PSA_ALGA", settings.psa_max_instances, headers, transport))


_BUILDERS: dict[PsaProvider, Callable[[Settings, StorageAccount | None, Transport], PsaConnector]] = {
    PsaProvider.DIRECTORY: _directory,
    PsaProvider.SYNCRO: _syncro,
    PsaProvider.ALGA: _alga,
    PsaProvider.HALOPSA: lambda settings, account, transport: build_halo(settings, transport),
    PsaProvider.CONNECTWISE: lambda settings, account, transport: build_connectwise(settings, transport),
    PsaProvider.AUTOTASK: lambda settings, account, transport: build_autotask(settings, transport),
}


def http_client(
    vendor: str,
    conn: PsaHttpSettings,
    prefix: str,
    instances: int,
    headers: Mapping[str, str | SecretStr],
    transport: Transport = None,
) -> PsaHttpClient:
    """The connector's one HTTP client, paced by the process's limiter for this vendor account."""
    base_url = require_base_url(conn.base_url, f"{prefix}__BASE_URL")
    pace = Pace(per_minute=conn.rate_limit_per_minute, burst=conn.burst, instances=instances)
    return PsaHttpClient(
        vendor=vendor,
        base_url=base_url,
        auth=HeaderAuth(headers),
        limiter=limiter_for(vendor, base_url, pace),
        policy=retry_policy(conn),
        transport=transport,
    )


def _require_key(settings: Settings, conn: PsaHttpSettings, prefix: str) -> SecretStr:
    return require_secret(settings, conn.api_key, f"{prefix}__API_KEY")
