"""App settings: read once, validated, a bad or missing one named."""

from __future__ import annotations

import pytest

from shared.config import DiscoveryMode, load_settings
from shared.errors import ConfigError
from shared.graph.credentials import build_credential


def test_defaults_need_no_environment() -> None:
    settings = load_settings()

    assert settings.graph_base_url == "https://graph.microsoft.com/v1.0"
    assert settings.discovery_mode is DiscoveryMode.GDAP
    assert settings.sync_schedule == "0 0 * * * *"


def test_a_malformed_setting_is_named() -> None:
    with pytest.raises(ConfigError, match="DISCOVERY_MODE"):
        load_settings(DISCOVERY_MODE="sometimes")


def test_a_number_out_of_range_is_named() -> None:
    with pytest.raises(ConfigError, match="FULL_SYNC_INTERVAL_HOURS"):
        load_settings(FULL_SYNC_INTERVAL_HOURS="0")


def test_settings_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DISCOVERY_MODE", "both")
    monkeypatch.setenv("GRAPH_BASE_URL", "https://graph.example/v1.0/")

    settings = load_settings()

    assert settings.discovery_mode is DiscoveryMode.BOTH
    assert settings.graph_base_url == "https://graph.example/v1.0"


def test_an_unresolved_key_vault_reference_is_never_used_as_a_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WEBHOOK_SECRET", "@Microsoft.KeyVault(SecretUri=https://kv.vault.azure.net/secrets/webhook)")

    settings = load_settings()

    assert settings.webhook_secret is None
    assert "Key Vault reference that did not resolve" in settings.missing("WEBHOOK_SECRET")


def test_graph_needs_a_credential_and_says_which_settings() -> None:
    with pytest.raises(ConfigError, match="PARTNER_TENANT_ID"):
        build_credential(load_settings())
    with pytest.raises(ConfigError, match="GRAPH_CLIENT_SECRET"):
        build_credential(load_settings(PARTNER_TENANT_ID="p", GRAPH_CLIENT_ID="c"))


def test_secrets_never_show_in_the_settings_repr() -> None:
    settings = load_settings(GRAPH_CLIENT_SECRET="s3cr3t-value", WEBHOOK_SECRET="w3bh00k")

    assert "s3cr3t-value" not in repr(settings) and "w3bh00k" not in repr(settings)
