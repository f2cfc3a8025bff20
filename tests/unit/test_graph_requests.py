"""Every Graph request the app makes is built by msgraph-sdk's request builders, and every property it
selects exists on the SDK's model (Microsoft's published schema): no invented paths or fields."""

from __future__ import annotations

import contextlib
from typing import Any
from unittest.mock import AsyncMock

import pytest
from kiota_abstractions.request_information import RequestInformation
from msgraph.generated.models.user import User

from shared.graph.client import GraphTenantDirectory, GraphUserDirectory, new_http_client
from shared.models import USER_SELECT


def test_every_selected_user_property_exists_on_the_sdk_user_model() -> None:
    known = set(User().get_field_deserializers())

    assert not set(USER_SELECT) - known
    assert "signInActivity" in known


class Recorder(GraphTenantDirectory):
    """Records the request the adapter would send, and answers an empty page."""

    sent: list[RequestInformation]

    async def _send(self, info: RequestInformation) -> bytes | None:
        self._sdk.request_adapter.set_base_url_for_request_information(info)  # as the adapter does on send
        self.sent.append(info)
        return b'{"value": [], "@odata.deltaLink": "https://graph.example/v1.0/users/delta()?$deltatoken=x", "id": "u"}'


@pytest.fixture
def graph() -> Recorder:
    gateway = GraphUserDirectory(
        AsyncMock(), "https://graph.microsoft.com/v1.0", new_http_client("https://graph.microsoft.com/v1.0")
    )
    tenant = gateway.tenant("t1")
    recorder = Recorder(tenant.tenant_id, tenant._sdk)
    recorder.sent = []
    return recorder


@pytest.mark.parametrize(
    ("call", "path"),
    [
        (lambda g: g.delegated_admin_relationships(), "/tenantRelationships/delegatedAdminRelationships"),
        (lambda g: g.delegated_admin_customers(), "/tenantRelationships/delegatedAdminCustomers"),
        (lambda g: g.organization(), "/organization"),
        (lambda g: g.users(), "/users"),
        (lambda g: g.users(sign_in_activity=True), "/users"),
        (lambda g: g.users_delta(None), "/users/delta()"),
        (lambda g: g.user("u"), "/users/u"),
        (lambda g: g.subscribed_skus(), "/subscribedSkus"),
        (lambda g: g.registration_details(), "/reports/authenticationMethods/userRegistrationDetails"),
        (lambda g: g.latest_secure_score(), "/security/secureScores"),
        (lambda g: g.group_member_ids("g1"), "/groups/g1/transitiveMembers/graph.user"),
    ],
)
async def test_requests_are_built_by_the_sdk_on_graph_v1_paths(graph: Recorder, call: Any, path: str) -> None:
    with contextlib.suppress(Exception):  # an empty organization list raises; the request is what we check
        await call(graph)

    url = graph.sent[0].url
    assert url.startswith("https://graph.microsoft.com/v1.0" + path), url


async def test_full_pages_ask_for_999_users_and_500_with_sign_in_activity(graph: Recorder) -> None:
    await graph.users()
    await graph.users(sign_in_activity=True)

    first, second = (info.url for info in graph.sent)
    assert "%24top=999" in first and "signInActivity" not in first
    assert "%24top=500" in second and "signInActivity" in second
