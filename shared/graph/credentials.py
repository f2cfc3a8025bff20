"""One azure-identity credential for the partner app, serving every customer tenant.

Certificate, client secret, or a federated credential backed by the Function's managed identity
(no secret at all). `additionally_allowed_tenants=["*"]` lets one credential ask for a token in any
customer tenant: `get_token(scope, tenant_id=customer)`; azure-identity caches one token per tenant.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

from azure.core.credentials_async import AsyncTokenCredential

from shared.config import Settings
from shared.errors import ConfigError

__all__ = ["build_credential"]

PUBLIC_AUTHORITY = "login.microsoftonline.com"
TOKEN_EXCHANGE_SCOPE = "api://AzureADTokenExchange/.default"


def build_credential(settings: Settings) -> AsyncTokenCredential:
    from azure.identity.aio import CertificateCredential, ClientAssertionCredential, ClientSecretCredential

    tenant, client_id = settings.partner_tenant_id, settings.graph_client_id
    if not tenant or not client_id:
        raise ConfigError("PARTNER_TENANT_ID and GRAPH_CLIENT_ID are required to reach Microsoft Graph")
    common: dict[str, Any] = {"additionally_allowed_tenants": ["*"]}
    authority = settings.graph_authority
    if authority != PUBLIC_AUTHORITY:
        # A sovereign cloud or a local simulator: no instance discovery against the public cloud.
        common["authority"] = authority if "://" in authority else f"https://{authority}"
        common["disable_instance_discovery"] = True
    if settings.graph_ca_bundle:
        common["connection_verify"] = settings.graph_ca_bundle

    if settings.graph_federated_identity_client_id:
        return ClientAssertionCredential(
            tenant, client_id, _managed_identity_assertion(settings.graph_federated_identity_client_id), **common
        )
    if settings.graph_client_certificate:
        return CertificateCredential(
            tenant,
            client_id,
            certificate_data=_certificate_bytes(settings.graph_client_certificate.get_secret_value()),
            **common,
        )
    if settings.graph_client_secret:
        return ClientSecretCredential(tenant, client_id, settings.graph_client_secret.get_secret_value(), **common)
    raise ConfigError(
        "no Graph credential: set GRAPH_CLIENT_SECRET, GRAPH_CLIENT_CERTIFICATE or GRAPH_FEDERATED_IDENTITY_CLIENT_ID"
    )


def _certificate_bytes(value: str) -> bytes:
    """A PEM (certificate + private key), or base64 PKCS#12 as a Key Vault certificate reference gives it."""
    if "-----BEGIN" in value:
        return value.encode()
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ConfigError("GRAPH_CLIENT_CERTIFICATE is neither PEM nor base64 PKCS#12") from exc


def _managed_identity_assertion(mi_client_id: str) -> Any:
    from azure.identity import ManagedIdentityCredential

    identity = ManagedIdentityCredential(client_id=mi_client_id)

    def assertion() -> str:
        # The managed identity's token is the client assertion of the partner app (federated credential).
        token: str = identity.get_token(TOKEN_EXCHANGE_SCOPE).token
        return token

    return assertion
