"""The PSA settings (nested per provider) and the registry that builds a connector from them."""

from __future__ import annotations

import httpx
import pytest

from shared.bootstrap import build_app
from shared.config import DEV_STORAGE, PsaProvider, load_settings
from shared.errors import ConfigError
from shared.psa.alga import AlgaConnector
from shared.psa.registry import build_connector, require_base_url
from shared.psa.syncro import SyncroConnector


def test_each_providers_settings_come_from_nested_app_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PSA_PROVIDER", "alga")
    monkeypatch.setenv("PSA_ALGA__BASE_URL", "https://psa.example.com/api/v1")
    monkeypatch.setenv("PSA_ALGA__API_KEY", "k3y")
    monkeypatch.setenv("PSA_ALGA__TENANT_ID", "t-1")
    monkeypatch.setenv("PSA_ALGA__BURST", "")  # empty: the vendor's default
    monkeypatch.setenv("PSA_SYNCRO__RATE_LIMIT_PER_MINUTE", "90")

    settings = load_settings()

    assert settings.psa_provider is PsaProvider.ALGA
    assert settings.psa_alga.base_url == "https://psa.example.com/api/v1"
    assert settings.psa_alga.api_key is not None and settings.psa_alga.api_key.get_secret_value() == "k3y"
    assert (settings.psa_alga.tenant_id, settings.psa_alga.burst, settings.psa_alga.rate_limit_per_minute) == (
        "t-1",
        120,
        60,
    )
    assert settings.psa_syncro.rate_limit_per_minute == 90 and settings.psa_syncro.burst == 0
    assert "k3y" not in repr(settings)


def test_the_vendors_published_limits_are_the_defaults() -> None:
    settings = load_settings()

    assert (settings.psa_syncro.rate_limit_per_minute, settings.psa_syncro.burst) == (180, 0)
    assert (settings.psa_alga.rate_limit_per_minute, settings.psa_alga.burst) == (60, 120)
    assert settings.psa_max_instances == 10  # infra/main.bicep's maximumInstanceCount default


def test_a_malformed_nested_setting_is_named() -> None:
    with pytest.raises(ConfigError, match="PSA_SYNCRO__RETRY_ATTEMPTS"):
        load_settings(PSA_SYNCRO={"retry_attempts": "0"})


def test_an_unresolved_key_vault_reference_for_a_psa_key_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PSA_SYNCRO__BASE_URL", "https://acme.syncromsp.com/api/v1")
    monkeypatch.setenv("PSA_SYNCRO__API_KEY", "@Microsoft.KeyVault(SecretUri=https://kv.vault.azure.net/secrets/psa)")
    settings = load_settings(PSA_PROVIDER="syncro")

    assert settings.psa_syncro.api_key is None
    with pytest.raises(ConfigError, match="PSA_SYNCRO__API_KEY is a Key Vault reference that did not resolve"):
        build_connector(settings)


@pytest.mark.parametrize(("provider", "prefix"), [("syncro", "PSA_SYNCRO"), ("alga", "PSA_ALGA")])
def test_a_missing_key_or_url_is_named(provider: str, prefix: str) -> None:
    with pytest.raises(ConfigError, match=f"{prefix}__API_KEY is not set"):
        build_connector(load_settings(PSA_PROVIDER=provider, **{prefix: {"base_url": "https://psa.example.com"}}))
    with pytest.raises(ConfigError, match=f"{prefix}__BASE_URL is not set"):
        build_connector(load_settings(PSA_PROVIDER=provider, **{prefix: {"api_key": "k"}}))


@pytest.mark.parametrize(
    "url",
    ["http://psa.example.com/api/v1", "ftp://psa.example.com", "psa.example.com/api/v1", "http://10.0.0.5:3000"],
)
def test_a_base_url_must_be_https_outside_loopback(url: str) -> None:
    with pytest.raises(ConfigError, match="PSA_ALGA__BASE_URL"):
        require_base_url(url, "PSA_ALGA__BASE_URL")


@pytest.mark.parametrize(
    "url",
    ["https://psa.example.com/api/v1/", "http://127.0.0.1:8080/api/v1", "http://localhost:3000", "http://[::1]:9/x"],
)
def test_https_or_loopback_is_accepted(url: str) -> None:
    assert require_base_url(url, "X") == url.rstrip("/")


async def test_the_registry_builds_each_connector_with_its_vendors_auth_headers() -> None:
    seen: list[httpx.Request] = []

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"customers": [], "data": [], "meta": {"total_pages": 0}})

    syncro = build_connector(
        load_settings(
            PSA_PROVIDER="syncro", PSA_SYNCRO={"base_url": "https://a.syncromsp.com/api/v1", "api_key": "s-key"}
        ),
        transport=httpx.MockTransport(handle),
    )
    alga = build_connector(
        load_settings(
            PSA_PROVIDER="alga",
            PSA_ALGA={"base_url": "https://alga.example.com/api/v1", "api_key": "a-key", "tenant_id": "t-9"},
        ),
        transport=httpx.MockTransport(handle),
    )
    assert isinstance(syncro, SyncroConnector) and isinstance(alga, AlgaConnector)
    await syncro.list_clients()
    await alga.list_clients()
    await syncro.aclose()
    await alga.aclose()

    assert str(seen[0].url) == "https://a.syncromsp.com/api/v1/customers?page=1"
    assert seen[0].headers["authorization"] == "s-key"
    assert seen[1].headers["x-api-key"] == "a-key" and seen[1].headers["x-tenant-id"] == "t-9"
    assert syncro.stats.requests == 1 and alga.stats.requests == 1


def test_the_built_in_directory_needs_the_storage_account() -> None:
    with pytest.raises(ConfigError, match="storage account"):
        build_connector(load_settings(PSA_PROVIDER="directory"))


async def test_build_app_closes_the_connectors_http_client() -> None:
    settings = load_settings(
        AzureWebJobsStorage=DEV_STORAGE,
        PSA_PROVIDER="syncro",
        PSA_SYNCRO={"base_url": "https://a.syncromsp.com/api/v1", "api_key": "k"},
    )
    app = build_app(settings)
    assert isinstance(app.psa, SyncroConnector)

    await app.aclose()

    assert app.psa._http._http.is_closed
