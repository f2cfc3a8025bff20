"""Bearer tokens for one customer tenant, from the one partner credential."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlparse

from azure.core.credentials_async import AsyncTokenCredential
from azure.core.exceptions import ClientAuthenticationError
from kiota_abstractions.authentication import AccessTokenProvider, AllowedHostsValidator

from shared.errors import GraphCredentialRejected, GraphError, TenantNotConsented

__all__ = ["GRAPH_SCOPE", "TenantTokenProvider", "translate_auth_error"]

GRAPH_SCOPE = "https://graph.microsoft.com/.default"

# Entra's answers when the partner app has no service principal (no consent) in the customer tenant.
_NOT_CONSENTED = frozenset({"AADSTS700016", "AADSTS650052", "AADSTS7000112", "AADSTS500011", "AADSTS90002"})
# Entra refusing the partner app's own credential: no retry can succeed until someone fixes the setting.
_CREDENTIAL_REFUSED = frozenset(
    {
        "AADSTS7000215",  # invalid client secret
        "AADSTS7000222",  # the client secret has expired
        "AADSTS7000216",  # no secret nor assertion sent
        "AADSTS50027",  # malformed client assertion
        "AADSTS700021",  # the assertion names another client
        "AADSTS700027",  # the assertion's signature matches no registered certificate
    }
)
_AADSTS = re.compile(r"\bAADSTS\d+\b")


class TenantTokenProvider(AccessTokenProvider):
    def __init__(self, credential: AsyncTokenCredential, tenant_id: str, graph_base_url: str) -> None:
        self._credential = credential
        self._tenant_id = tenant_id
        self._hosts = AllowedHostsValidator([urlparse(graph_base_url).hostname or ""])

    async def get_authorization_token(
        self, uri: str, additional_authentication_context: dict[str, Any] | None = None
    ) -> str:
        if not self._hosts.is_url_host_valid(uri):
            return ""  # never send a tenant's token to a host that is not Graph (e.g. a forged nextLink)
        try:
            token = await self._credential.get_token(GRAPH_SCOPE, tenant_id=self._tenant_id)
        except ClientAuthenticationError as exc:
            raise translate_auth_error(exc, self._tenant_id) from exc
        return token.token

    def get_allowed_hosts_validator(self) -> AllowedHostsValidator:
        return self._hosts


def translate_auth_error(exc: ClientAuthenticationError, tenant_id: str) -> GraphError:
    message = _first_line(str(exc.message if hasattr(exc, "message") else exc))
    codes = set(_AADSTS.findall(message))  # whole codes: AADSTS700021 is a prefix of AADSTS7000215
    if codes & _NOT_CONSENTED:
        return TenantNotConsented(
            f"the partner app is not consented in tenant {tenant_id}: {message}", status=400, code="not-consented"
        )
    if codes & _CREDENTIAL_REFUSED:
        return GraphCredentialRejected(
            f"Entra refused the partner app's credential (check GRAPH_CLIENT_SECRET or GRAPH_CLIENT_CERTIFICATE) "
            f"asking for a token for tenant {tenant_id}: {message}",
            status=401,
            code="credential-refused",
        )
    return GraphError(f"token request for tenant {tenant_id} failed: {message}", status=401, code="auth")


def _first_line(text: str) -> str:
    # azure-identity messages run to many lines (trace ids, links); the first one says what happened.
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    interesting = [line for line in lines if "AADSTS" in line]
    return (interesting or lines or ["unknown error"])[0][:500]
