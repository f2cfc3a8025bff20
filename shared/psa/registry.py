"""The registry: `PSA_PROVIDER` to the connector, built from its nested settings (`PSA_<PROVIDER>__*`).

A REST connector gets one `PsaHttpClient`: its base URL (https, or http on loopback only), its auth
hook, the account's rate limiter (claiming from the budget every instance shares, when given one) and
its retry policy (`shared.psa.building`; HaloPSA, ConnectWise PSA and Autotask build theirs in their
packages). A missing or malformed setting
is a `ConfigError` naming it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

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

if TYPE_CHECKING:
    from shared.service.ports import RequestBudget

__all__ = ["build_connector", "http_client", "require_base_url"]

Transport = httpx.AsyncBaseTransport | None


def build_connector(
    settings: Settings,
    account: StorageAccount | None = None,
    *,
    transport: Transport = None,
    budget: RequestBudget | None = None,
) -> PsaConnector:
    """The connector `PSA_PROVIDER` names. `account`: the storage the built-in directory lives in;
    `budget`: the request budget every instance shares (without one, a REST connector keeps to its
    `1 / PSA_MAX_INSTANCES` share); `transport`: a REST connector's HTTP transport (tests)."""
    builder = _BUILDERS.get(settings.psa_provider)
    if builder is None:
        raise ConfigError(f"PSA_PROVIDER {settings.psa_provider.value!r} has no connector yet")
    return builder(settings, account, transport, budget)


def _directory(
    settings: Settings, account: StorageAccount | None, transport: Transport, budget: RequestBudget | None
) -> PsaConnector:
    if account is None:
        raise ConfigError("PSA_PROVIDER 'directory' keeps contacts in the storage account: none was given")
    return TableDirectory(account)


def _syncro(
    settings: Settings, account: StorageAccount | None, transport: Transport, budget: RequestBudget | None
) -> PsaConnector:
    conn = settings.psa_syncro
    headers: dict[str, str | SecretStr] = {"Authorization": _require_key(settings, conn, "PSA_SYNCRO")}
    return SyncroConnector(http_client("syncro", conn, "PSA_SYNCRO", settings, headers, transport, budget))


def _alga(
    settings: Settings, account: StorageAccount | None, transport: Transport, budget: RequestBudget | None
) -> PsaConnector:
    conn = settings.psa_alga
    headers: dict[str, str | SecretStr] = {"x-api-key": _require_key(settings, conn, "PSA_ALGA")}
    if conn.tenant_id:
        headers["x-tenant-id"] = conn.tenant_id
    return AlgaConnector(http_client("alga", conn, "PSA_ALGA", settings, headers, transport, budget))


_Builder = Callable[[Settings, StorageAccount | None, Transport, "RequestBudget | None"], PsaConnector]
_BUILDERS: dict[PsaProvider, _Builder] = {
    PsaProvider.DIRECTORY: _directory,
    PsaProvider.SYNCRO: _syncro,
    PsaProvider.ALGA: _alga,
    PsaProvider.HALOPSA: lambda settings, account, transport, budget: build_halo(settings, transport, budget),
    PsaProvider.CONNECTWISE: lambda settings, account, transport, budget: build_connectwise(
        settings, transport, budget
    ),
    PsaProvider.AUTOTASK: lambda settings, account, transport, budget: build_autotask(settings, transport, budget),
}


def http_client(
    vendor: str,
    conn: PsaHttpSettings,
    prefix: str,
    settings: Settings,
    headers: Mapping[str, str | SecretStr],
    transport: Transport = None,
    budget: RequestBudget | None = None,
) -> PsaHttpClient:
    """The connector's one HTTP client, paced by the account's limiter (`limiter_for`)."""
    base_url = require_base_url(conn.base_url, f"{prefix}__BASE_URL")
    pace = Pace(per_minute=conn.rate_limit_per_minute, burst=conn.burst, instances=settings.psa_max_instances)
    return PsaHttpClient(
        vendor=vendor,
        base_url=base_url,
        auth=HeaderAuth(headers),
        limiter=limiter_for(vendor, base_url, pace, budget),
        policy=retry_policy(conn),
        transport=transport,
    )


def _require_key(settings: Settings, conn: PsaHttpSettings, prefix: str) -> SecretStr:
    return require_secret(settings, conn.api_key, f"{prefix}__API_KEY")
