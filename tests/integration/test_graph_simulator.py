"""The Graph simulator, driven by the real azure-identity and msgraph-sdk code.

Every payload read through msgraph-sdk is walked for properties its models do not know
(`additional_data` other than OData annotations): the simulator must not invent fields.
"""

from __future__ import annotations

import asyncio
import base64
import dataclasses
import datetime as dt
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from azure.core.exceptions import ClientAuthenticationError
from azure.identity import CertificateCredential, ClientAssertionCredential, ClientSecretCredential
from azure.identity.aio import ClientSecretCredential as AioClientSecretCredential
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from kiota_abstractions.base_request_configuration import RequestConfiguration
from kiota_authentication_azure.azure_identity_authentication_provider import AzureIdentityAuthenticationProvider
from msgraph import GraphRequestAdapter, GraphServiceClient
from msgraph.generated.models.o_data_errors.o_data_error import ODataError
from msgraph.generated.users.delta.delta_request_builder import DeltaRequestBuilder
from msgraph.generated.users.users_request_builder import UsersRequestBuilder
from msgraph_core import GraphClientFactory

from shared.devtools import NORTHWIND
from shared.devtools.simulator import GraphSimulator, Scenario, load_scenario, parse_scenario

pytestmark = [
    pytest.mark.integration,
    pytest.mark.no_azurite,  # the simulator only; tests/conftest.py skips other integration tests without Azurite
    pytest.mark.filterwarnings("ignore::DeprecationWarning"),  # msgraph-sdk's request configuration classes
]

GRAPH_SCOPE = "https://graph.microsoft.com/.default"
GREENLEAF = "d4db95b7-337d-540d-8a9f-13b6f9b2058a"  # premium, 8 users, groups none
NORTHSTAR = "d45acb64-8bba-5d09-932e-361164bfb6b2"  # not premium
PIONEER = "7893f28e-f7e8-508b-beeb-55b763029caf"
PARTNER_ID = "0a1b2c3d-0000-4000-8000-00000000beef"
BIG = "11111111-2222-4333-8444-555555555555"


def _user(index: int, **extra: Any) -> dict[str, Any]:
    return {
        "id": f"00000000-0000-4000-8000-{index:012d}",
        "displayName": f"User {index}",
        "givenName": "User",
        "surname": str(index),
        "mail": f"user{index}@big.example",
        "userPrincipalName": f"user{index}@big.example",
        "accountEnabled": True,
        "userType": "Member",
        "mobilePhone": None,
        "signInActivity": {"lastSignInDateTime": "2026-11-01T00:00:00Z"},
        **extra,
    }


def _big_scenario(users: int = 1200) -> Scenario:
    """A partner with one 1200-user tenant with nested groups, plus a tenant without P1."""
    return parse_scenario(
        {
            "name": "big",
            "partner": {"tenantId": PARTNER_ID, "displayName": "Partner"},
            "tenants": [
                {
                    "tenantId": BIG,
                    "displayName": "Big Co",
                    "verifiedDomains": [{"name": "big.example", "isDefault": True}],
                    "users": [_user(i) for i in range(users)],
                    "groups": [
                        {
                            "id": "g-all",
                            "displayName": "All",
                            "members": ["g-sales", "00000000-0000-4000-8000-000000000000"],
                        },
                        {
                            "id": "g-sales",
                            "displayName": "Sales",
                            "members": ["g-emea", "00000000-0000-4000-8000-000000000001"],
                        },
                        {
                            "id": "g-emea",
                            "displayName": "EMEA",
                            "members": ["g-all", "00000000-0000-4000-8000-000000000002"],
                        },
                    ],
                    "subscribedSkus": [
                        {
                            "skuId": "cbdc14ab-d96c-4c30-b9f4-6ada7cdc1d46",
                            "skuPartNumber": "SPB",
                            "prepaidUnits": {"enabled": 5},
                            "consumedUnits": 3,
                        }
                    ],
                    "userRegistrationDetails": [
                        {
                            "id": "00000000-0000-4000-8000-000000000000",
                            "isMfaRegistered": True,
                            "methodsRegistered": ["microsoftAuthenticatorPush"],
                        }
                    ],
                    "secureScores": [
                        {"createdDateTime": "2026-11-20T00:00:00Z", "currentScore": 40, "maxScore": 80},
                        {"createdDateTime": "2026-11-22T00:00:00Z", "currentScore": 42.5, "maxScore": 80},
                    ],
                },
            ],
        }
    )


@pytest.fixture
def sim() -> Iterator[GraphSimulator]:
    with GraphSimulator(load_scenario(NORTHWIND)) as simulator:
        yield simulator


@pytest.fixture
def big() -> Iterator[GraphSimulator]:
    with GraphSimulator(_big_scenario()) as simulator:
        yield simulator


@pytest.fixture
def mid() -> Iterator[GraphSimulator]:
    """Fewer users for the SDK's typed models, which take milliseconds per user to build."""
    with GraphSimulator(_big_scenario(users=250)) as simulator:
        yield simulator


def _credential(sim: GraphSimulator, **kwargs: Any) -> ClientSecretCredential:
    return ClientSecretCredential(
        sim.partner_tenant_id,
        sim.client_id,
        kwargs.pop("secret", sim.client_secret),
        authority=sim.authority,
        disable_instance_discovery=True,
        additionally_allowed_tenants=["*"],
        connection_verify=sim.ca_path,
        **kwargs,
    )


def _client(sim: GraphSimulator, tenant: str, credential: Any = None) -> GraphServiceClient:
    """msgraph-sdk pointed at the simulator, with a token of `tenant` on every request."""
    auth = AzureIdentityAuthenticationProvider(
        credential or _credential(sim), options={"tenant_id": tenant}, scopes=[GRAPH_SCOPE], allowed_hosts=["127.0.0.1"]
    )
    adapter = GraphRequestAdapter(auth, client=GraphClientFactory.create_with_default_middleware())
    adapter.base_url = sim.graph_url
    return GraphServiceClient(request_adapter=adapter)


def _get(sim: GraphSimulator, tenant: str, path: str, **headers: str) -> httpx.Response:
    url = path if path.startswith("http") else sim.graph_url + path
    return httpx.get(url, headers={"Authorization": f"Bearer {sim.issue_token(tenant)}", **headers})


def _unknown_properties(value: Any, where: str = "") -> list[str]:
    """Properties the SDK's models left in additional_data (OData annotations aside)."""
    found: list[str] = []
    if isinstance(value, list):
        for index, item in enumerate(value):
            found += _unknown_properties(item, f"{where}[{index}]")
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        extra = getattr(value, "additional_data", None) or {}
        found += [f"{where}.{key}" for key in extra if not key.startswith("@")]
        for field in dataclasses.fields(value):
            if field.name != "additional_data":
                found += _unknown_properties(getattr(value, field.name), f"{where}.{field.name}")
    return found


def _users_config(**params: Any) -> RequestConfiguration[Any]:
    query = UsersRequestBuilder.UsersRequestBuilderGetQueryParameters(**params)
    return RequestConfiguration(query_parameters=query)


# --- tokens through azure-identity ---------------------------------------------------------------


def test_sync_credential_gets_a_token_per_tenant_bound_to_that_tenant(sim: GraphSimulator) -> None:
    credential = _credential(sim)
    for tenant in (GREENLEAF, NORTHSTAR, sim.partner_tenant_id):
        token = credential.get_token(GRAPH_SCOPE, tenant_id=tenant)
        assert token.expires_on - time.time() > 3500
        org = httpx.get(f"{sim.graph_url}/organization", headers={"Authorization": f"Bearer {token.token}"})
        assert org.json()["value"][0]["id"] == tenant
    assert sim.request_count(service="login", tenant=GREENLEAF) >= 1


def test_aio_credential_gets_tokens_with_connection_verify(sim: GraphSimulator) -> None:
    async def tokens() -> list[str]:
        async with AioClientSecretCredential(
            sim.partner_tenant_id,
            sim.client_id,
            sim.client_secret,
            authority=sim.authority,
            disable_instance_discovery=True,
            additionally_allowed_tenants=["*"],
            connection_verify=sim.ca_path,
        ) as credential:
            return [(await credential.get_token(GRAPH_SCOPE, tenant_id=t)).token for t in (GREENLEAF, PIONEER)]

    greenleaf, pioneer = asyncio.run(tokens())
    assert _tenant_of(sim, greenleaf) == GREENLEAF
    assert _tenant_of(sim, pioneer) == PIONEER


def _tenant_of(sim: GraphSimulator, token: str) -> str:
    response = httpx.get(f"{sim.graph_url}/organization", headers={"Authorization": f"Bearer {token}"})
    return str(response.json()["value"][0]["id"])


def test_certificate_and_client_assertion_credentials_work(sim: GraphSimulator, tmp_path: Path) -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "sync app")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ) + cert.public_bytes(serialization.Encoding.PEM)
    common = {
        "authority": sim.authority,
        "disable_instance_discovery": True,
        "additionally_allowed_tenants": ["*"],
        "connection_verify": sim.ca_path,
    }
    by_certificate = CertificateCredential(sim.partner_tenant_id, sim.client_id, certificate_data=pem, **common)
    assert _tenant_of(sim, by_certificate.get_token(GRAPH_SCOPE, tenant_id=PIONEER).token) == PIONEER

    def assertion() -> str:  # what a federated credential hands over: a JWT issued for the app
        part = lambda value: base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()  # noqa: E731
        return f"{part({'alg': 'none'})}.{part({'iss': sim.client_id, 'sub': sim.client_id})}.sig"

    federated = ClientAssertionCredential(sim.partner_tenant_id, sim.client_id, assertion, **common)
    assert _tenant_of(sim, federated.get_token(GRAPH_SCOPE, tenant_id=GREENLEAF).token) == GREENLEAF


def test_unconsented_tenant_fails_with_aadsts700016(sim: GraphSimulator) -> None:
    sim.configure_tenant(NORTHSTAR, consented=False)
    with pytest.raises(ClientAuthenticationError, match="AADSTS700016"):
        _credential(sim).get_token(GRAPH_SCOPE, tenant_id=NORTHSTAR)


def test_wrong_secret_fails_with_aadsts7000215(sim: GraphSimulator) -> None:
    with pytest.raises(ClientAuthenticationError, match="AADSTS7000215"):
        _credential(sim, secret="not-the-secret").get_token(GRAPH_SCOPE, tenant_id=GREENLEAF)


def test_token_endpoint_answers_entra_errors(sim: GraphSimulator) -> None:
    form = {"grant_type": "client_credentials", "client_id": sim.client_id, "client_secret": sim.client_secret}
    unknown = httpx.post(
        f"{sim.authority}/not-a-tenant/oauth2/v2.0/token", data={**form, "scope": GRAPH_SCOPE}, verify=sim.ca_path
    )
    assert unknown.status_code == 400
    assert unknown.json()["error"] == "invalid_request" and unknown.json()["error_codes"] == [90002]
    no_default = httpx.post(
        f"{sim.authority}/{GREENLEAF}/oauth2/v2.0/token", data={**form, "scope": "User.Read"}, verify=sim.ca_path
    )
    assert no_default.json()["error"] == "invalid_scope"


def test_token_endpoint_fault_fails_the_credential(sim: GraphSimulator) -> None:
    fault = sim.fail_tokens(tenant=PIONEER)
    with pytest.raises(ClientAuthenticationError):
        _credential(sim).get_token(GRAPH_SCOPE, tenant_id=PIONEER)
    assert fault.hits >= 1
    sim.remove_fault(fault)
    assert _credential(sim).get_token(GRAPH_SCOPE, tenant_id=PIONEER).token


def test_token_of_tenant_a_sees_only_tenant_a_users(sim: GraphSimulator) -> None:
    credential = _credential(sim)
    token = credential.get_token(GRAPH_SCOPE, tenant_id=PIONEER).token
    users = httpx.get(f"{sim.graph_url}/users", headers={"Authorization": f"Bearer {token}"}).json()["value"]
    assert sorted(user["displayName"] for user in users) == ["Ruth Okafor", "Tom Nguyen"]


def test_graph_refuses_missing_and_foreign_audience_tokens(sim: GraphSimulator) -> None:
    missing = httpx.get(f"{sim.graph_url}/users")
    assert missing.status_code == 401
    assert missing.json()["error"]["code"] == "InvalidAuthenticationToken"
    assert set(missing.json()["error"]["innerError"]) >= {"date", "request-id", "client-request-id"}
    other = _credential(sim).get_token("https://management.azure.com/.default", tenant_id=GREENLEAF).token
    wrong = httpx.get(f"{sim.graph_url}/users", headers={"Authorization": f"Bearer {other}"})
    assert wrong.status_code == 401


# --- msgraph-sdk request builders ------------------------------------------------------------------


async def test_sdk_reads_every_endpoint_with_no_unknown_properties(sim: GraphSimulator) -> None:
    client = _client(sim, GREENLEAF)
    users = await client.users.get(
        _users_config(
            select=["id", "displayName", "mail", "accountEnabled", "assignedLicenses", "signInActivity"], top=5
        )
    )
    assert users is not None and users.value is not None and len(users.value) == 5
    assert users.odata_next_link is not None
    rest = await client.users.with_url(users.odata_next_link).get()
    assert rest is not None and rest.value is not None and len(rest.value) == 3
    org = await client.organization.get()
    skus = await client.subscribed_skus.get()
    scores = await client.security.secure_scores.get(
        RequestConfiguration(
            query_parameters=client.security.secure_scores.SecureScoresRequestBuilderGetQueryParameters(top=1)
        )
    )
    mfa = await client.reports.authentication_methods.user_registration_details.get()
    assert org is not None and org.value is not None and org.value[0].verified_domains
    assert skus is not None and skus.value is not None and skus.value[0].sku_part_number == "SPB"
    assert scores is not None and scores.value is not None and scores.value[0].current_score == 41.5
    assert mfa is not None and mfa.value is not None and len(mfa.value) == 8
    partner = _client(sim, sim.partner_tenant_id)
    builder = partner.tenant_relationships.delegated_admin_relationships
    relationships = await builder.get(
        RequestConfiguration(
            query_parameters=builder.DelegatedAdminRelationshipsRequestBuilderGetQueryParameters(
                filter="status eq 'active'"
            )
        )
    )
    customers = await partner.tenant_relationships.delegated_admin_customers.get()
    assert relationships is not None and relationships.value is not None
    assert sorted(r.customer.tenant_id for r in relationships.value if r.customer) == sorted(
        t.tenant_id for t in sim.scenario.tenants
    )
    assert customers is not None and customers.value is not None and len(customers.value) == 4
    for payload in (users, rest, org, skus, scores, mfa, relationships, customers):
        assert _unknown_properties(payload) == []


async def test_sdk_delta_and_transitive_members_have_no_unknown_properties(mid: GraphSimulator) -> None:
    client = _client(mid, BIG)
    query = DeltaRequestBuilder.DeltaRequestBuilderGetQueryParameters(select=["id", "displayName", "mobilePhone"])
    page = await client.users.delta.get(RequestConfiguration(query_parameters=query))
    pages = 1
    while page is not None and page.odata_next_link:
        assert _unknown_properties(page) == []
        page = await client.users.delta.with_url(page.odata_next_link).get()
        pages += 1
    assert page is not None and page.odata_delta_link is not None
    assert pages == 2  # 250 users, 200 a page
    members = await client.groups.by_group_id("g-sales").transitive_members.graph_user.get()
    assert members is not None and members.value is not None
    assert sorted(str(user.display_name) for user in members.value) == ["User 0", "User 1", "User 2"]
    assert _unknown_properties(members) == []


def test_users_paging_1200_users_top_999_gives_two_pages(big: GraphSimulator) -> None:
    first = _get(big, BIG, "/users?$select=id,displayName&$top=999").json()
    assert len(first["value"]) == 999
    assert set(first["value"][0]) == {"id", "displayName"}
    assert "$skiptoken=" in first["@odata.nextLink"] and "$top=999" in first["@odata.nextLink"]
    second = _get(big, BIG, first["@odata.nextLink"]).json()
    assert len(second["value"]) == 201 and "@odata.nextLink" not in second
    assert big.request_count(tenant=BIG, path="/users") == 2


def test_users_top_limits_follow_graph(big: GraphSimulator) -> None:
    assert _get(big, BIG, "/users?$top=1000").status_code == 400
    assert len(_get(big, BIG, "/users").json()["value"]) == 100
    assert _get(big, BIG, "/users?$select=id,signInActivity&$top=999").status_code == 400
    assert len(_get(big, BIG, "/users?$select=id,signInActivity&$top=500").json()["value"]) == 500
    unknown = _get(big, BIG, "/users?$select=id,mobilephonee")
    assert unknown.status_code == 400 and "mobilephonee" in unknown.json()["error"]["message"]


# --- delta -------------------------------------------------------------------------------------------


def _delta_all(sim: GraphSimulator, tenant: str, url: str, **headers: str) -> tuple[list[dict[str, Any]], str]:
    items: list[dict[str, Any]] = []
    while True:
        page = _get(sim, tenant, url, **headers).json()
        items += page["value"]
        if "@odata.deltaLink" in page:
            return items, page["@odata.deltaLink"]
        url = page["@odata.nextLink"]


def test_delta_reports_update_delete_restore_and_add(sim: GraphSimulator) -> None:
    items, link = _delta_all(sim, GREENLEAF, "/users/delta()?$select=id,displayName,mobilePhone,accountEnabled")
    assert len(items) == 8 and all("mobilePhone" not in u or u["mobilePhone"] for u in items)  # nulls left out
    users = [u["id"] for u in sim.scenario.tenant(GREENLEAF).users]
    nothing, link = _delta_all(sim, GREENLEAF, link)
    assert nothing == []

    sim.apply({"op": "update", "tenantId": GREENLEAF, "userId": users[1], "set": {"mobilePhone": "+1 555 0112"}})
    sim.apply(
        {"op": "update", "tenantId": GREENLEAF, "userId": users[2], "set": {"jobTitle": "Dentist"}}
    )  # not tracked
    sim.apply({"op": "delete", "tenantId": GREENLEAF, "userId": users[3]})
    sim.apply({"op": "disable", "tenantId": GREENLEAF, "userId": users[4]})
    sim.apply({"op": "add", "tenantId": GREENLEAF, "user": {"id": "new-user", "displayName": "New Hire"}})
    changes, link = _delta_all(sim, GREENLEAF, link)
    by_id = {item["id"]: item for item in changes}
    assert set(by_id) == {users[1], users[3], users[4], "new-user"}
    assert by_id[users[1]]["mobilePhone"] == "+1 555 0112" and "displayName" in by_id[users[1]]
    assert by_id[users[3]] == {"id": users[3], "@removed": {"reason": "changed"}}
    assert by_id[users[4]]["accountEnabled"] is False
    assert by_id["new-user"] == {"id": "new-user", "displayName": "New Hire"}
    assert _get(sim, GREENLEAF, "/users").json()["value"].__len__() == 8  # 8 - deleted + added

    sim.apply({"op": "restore", "tenantId": GREENLEAF, "userId": users[3]})
    sim.apply({"op": "update", "tenantId": GREENLEAF, "userId": users[1], "set": {"mobilePhone": None}})
    minimal, _ = _delta_all(sim, GREENLEAF, link, Prefer="return=minimal")
    by_id = {item["id"]: item for item in minimal}
    assert by_id[users[1]] == {"mobilePhone": None, "id": users[1]}
    assert "@removed" not in by_id[users[3]] and by_id[users[3]]["displayName"]


def test_delta_token_expired_answers_410_sync_state_not_found(sim: GraphSimulator) -> None:
    _, link = _delta_all(sim, GREENLEAF, "/users/delta?$select=id,displayName")
    sim.expire_delta_tokens(GREENLEAF)
    gone = _get(sim, GREENLEAF, link)
    assert gone.status_code == 410
    assert gone.json()["error"]["code"] == "syncStateNotFound"
    assert gone.headers["Location"].endswith("/users/delta?$select=id,displayName")
    assert _get(sim, GREENLEAF, "/users/delta?$deltatoken=garbage").status_code == 410
    assert _get(sim, PIONEER, link).status_code == 410  # a token is bound to its tenant


async def test_sdk_raises_odata_error_410_on_expired_delta(sim: GraphSimulator) -> None:
    client = _client(sim, GREENLEAF)
    page = await client.users.delta.get()
    assert page is not None and page.odata_delta_link
    sim.expire_delta_tokens(GREENLEAF)
    with pytest.raises(ODataError) as raised:
        await client.users.delta.with_url(page.odata_delta_link).get()
    assert raised.value.response_status_code == 410
    assert raised.value.error is not None and raised.value.error.code == "syncStateNotFound"


def test_delta_refuses_sign_in_activity(sim: GraphSimulator) -> None:
    refused = _get(sim, GREENLEAF, "/users/delta?$select=id,signInActivity")
    assert refused.status_code == 400 and "signInActivity" in refused.json()["error"]["message"]


# --- faults and limits ---------------------------------------------------------------------------------


async def test_sdk_retries_a_429_after_retry_after_then_succeeds(sim: GraphSimulator) -> None:
    fault = sim.throttle(tenant=GREENLEAF, path="/users", times=1, retry_after=1)
    started = time.monotonic()
    users = await _client(sim, GREENLEAF).users.get()
    assert users is not None and users.value is not None and len(users.value) == 8
    assert time.monotonic() - started >= 1
    assert fault.hits == 1
    statuses = [r.status for r in sim.requests if r.service == "graph" and r.path == "/users"]
    assert statuses == [429, 200]


async def test_sdk_retries_a_503_then_succeeds(sim: GraphSimulator) -> None:
    sim.unavailable(tenant=GREENLEAF, path="/subscribedSkus", times=1, retry_after=1)
    skus = await _client(sim, GREENLEAF).subscribed_skus.get()
    assert skus is not None and skus.value is not None and len(skus.value) == 2
    assert [r.status for r in sim.requests if r.path == "/subscribedSkus"] == [503, 200]


def test_faults_are_scoped_to_tenant_and_path(sim: GraphSimulator) -> None:
    sim.fail(503, tenant=GREENLEAF, path="/users", times=None)
    assert _get(sim, GREENLEAF, "/users/delta").status_code == 503
    assert _get(sim, GREENLEAF, "/organization").status_code == 200
    assert _get(sim, PIONEER, "/users").status_code == 200
    sim.clear_faults()
    sim.slow(0.3, path="/organization", times=1)
    started = time.monotonic()
    assert _get(sim, PIONEER, "/organization").status_code == 200
    assert time.monotonic() - started >= 0.3


def test_p1_data_on_a_tenant_without_p1_answers_403(sim: GraphSimulator) -> None:
    for path in ("/users?$select=id,signInActivity", "/reports/authenticationMethods/userRegistrationDetails"):
        refused = _get(sim, NORTHSTAR, path)
        assert refused.status_code == 403
        assert refused.json()["error"]["code"] == "Authentication_RequestFromNonPremiumTenantOrB2CTenant"
    assert _get(sim, NORTHSTAR, "/users?$select=id,displayName").status_code == 200


def test_registration_details_allow_five_requests_per_ten_seconds(sim: GraphSimulator) -> None:
    path = "/reports/authenticationMethods/userRegistrationDetails"
    assert [_get(sim, GREENLEAF, path).status_code for _ in range(5)] == [200] * 5
    throttled = _get(sim, GREENLEAF, path)
    assert throttled.status_code == 429 and 1 <= int(throttled.headers["Retry-After"]) <= 10
    assert _get(sim, PIONEER, path).status_code == 200  # per tenant


def test_unknown_paths_and_ids_answer_as_graph(sim: GraphSimulator) -> None:
    segment = _get(sim, GREENLEAF, "/userz")
    assert segment.status_code == 400
    assert segment.json()["error"]["message"] == "Resource not found for the segment 'userz'."
    group = _get(sim, GREENLEAF, "/groups/no-such-group/transitiveMembers/microsoft.graph.user")
    assert group.status_code == 404 and group.json()["error"]["code"] == "Request_ResourceNotFound"
    assert _get(sim, GREENLEAF, "/users/no-such-user").status_code == 404


def test_relationships_need_a_partner_token_and_honour_the_status_filter(sim: GraphSimulator) -> None:
    assert _get(sim, GREENLEAF, "/tenantRelationships/delegatedAdminRelationships").status_code == 403
    sim.configure_tenant(PIONEER, relationship="terminated")
    everything = _get(sim, sim.partner_tenant_id, "/tenantRelationships/delegatedAdminRelationships").json()["value"]
    active = _get(
        sim, sim.partner_tenant_id, "/tenantRelationships/delegatedAdminRelationships?$filter=status eq 'active'"
    ).json()["value"]
    assert len(everything) == 4 and len(active) == 3
    assert PIONEER not in {item["customer"]["tenantId"] for item in active}


def test_batch_answers_each_request_and_faults_them_alone(sim: GraphSimulator) -> None:
    sim.throttle(tenant=GREENLEAF, path="/subscribedSkus", times=1, retry_after=2)
    body = {
        "requests": [
            {"id": "1", "method": "GET", "url": "/organization"},
            {"id": "2", "method": "GET", "url": "/subscribedSkus"},
        ]
    }
    response = httpx.post(
        f"{sim.graph_url}/$batch", json=body, headers={"Authorization": f"Bearer {sim.issue_token(GREENLEAF)}"}
    )
    answers = {item["id"]: item for item in response.json()["responses"]}
    assert answers["1"]["status"] == 200 and answers["1"]["body"]["value"][0]["id"] == GREENLEAF
    assert answers["2"]["status"] == 429 and answers["2"]["headers"]["Retry-After"] == "2"
    assert sim.request_count(tenant=GREENLEAF) == 1
    assert sim.request_count(tenant=GREENLEAF, include_batched=True) == 3
