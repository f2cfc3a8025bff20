"""Token errors sorted by whether a retry could help (issue 13): a refused credential or a missing
consent is permanent, anything else is retried by the host."""

from __future__ import annotations

import pytest
from azure.core.exceptions import ClientAuthenticationError

from shared.errors import GraphCredentialRejected, GraphError, GraphPermanent
from shared.graph.auth import translate_auth_error

TENANT = "d4db95b7-337d-540d-8a9f-13b6f9b2058a"


def refused(message: str) -> GraphError:
    return translate_auth_error(ClientAuthenticationError(message), TENANT)


@pytest.mark.parametrize(
    "code", ["AADSTS7000215", "AADSTS7000222", "AADSTS7000216", "AADSTS50027", "AADSTS700021", "AADSTS700027"]
)
def test_a_refused_partner_credential_is_permanent_and_names_the_setting(code: str) -> None:
    error = refused(f"ClientSecretCredential.get_token failed: (invalid_client) {code}: refused.\nTrace ID: x")

    assert isinstance(error, GraphCredentialRejected) and isinstance(error, GraphPermanent)
    assert code in str(error) and "GRAPH_CLIENT_SECRET" in str(error) and TENANT in str(error)


@pytest.mark.parametrize(
    "message",
    ["(temporarily_unavailable) AADSTS90033: A transient error has occurred.", "connection reset by peer"],
)
def test_a_transient_token_error_stays_retryable(message: str) -> None:
    assert type(refused(message)) is GraphError
