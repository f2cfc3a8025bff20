"""A full pass's fixed reads in one `$batch` (`GraphTenantDirectory.fixed_reads`), against the Graph
simulator through the real azure-identity and msgraph-sdk code: one HTTP request, each inner answer's
own status honoured (an inner 429 retried after its Retry-After with only the throttled requests sent
again, a 403 without P1 kept as that read's error), and the body the app sends checked against the
SDK's own batch models."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from kiota_abstractions.serialization import AdditionalDataHolder, Parsable, ParseNode, SerializationWriter
from kiota_serialization_json.json_parse_node_factory import JsonParseNodeFactory
from msgraph_core.requests.batch_request_content import BatchRequestContent
from msgraph_core.requests.batch_request_item import BatchRequestItem

from shared.bootstrap import default_graph
from shared.config import load_settings
from shared.devtools import NORTHWIND
from shared.devtools.simulator import GraphSimulator, load_scenario
from shared.errors import GraphError, GraphForbidden, GraphPermanent, GraphRequestRefused
from shared.graph.client import GraphTenantDirectory, GraphUserDirectory
from shared.service.tenant_reads import latest_delta_url, read_full_pass

pytestmark = [
    pytest.mark.integration,
    pytest.mark.no_azurite,
    pytest.mark.filterwarnings("ignore::DeprecationWarning"),
]

GREENLEAF = "d4db95b7-337d-540d-8a9f-13b6f9b2058a"  # Entra ID P1, 8 users
NORTHSTAR = "d45acb64-8bba-5d09-932e-361164bfb6b2"  # no P1
REPORT = "/reports/authenticationMethods/userRegistrationDetails"
PATHS = {
    "delta": "/users/delta",
    "users": "/users",
    "skus": "/subscribedSkus",
    "score": "/security/secureScores",
    "mfa": REPORT,
}


@pytest.fixture(scope="module")
def sim() -> Iterator[GraphSimulator]:
    with GraphSimulator(load_scenario(NORTHWIND)) as simulator:
        yield simulator


class Sent:
    """The bodies of the `$batch` requests the app sends, and the waits between its tries."""

    def __init__(self) -> None:
        self.batches: list[bytes] = []
        self.waits: list[float] = []

    async def request(self, request: httpx.Request) -> None:
        if request.url.path.endswith("/$batch"):
            self.batches.append(request.content)

    async def sleep(self, seconds: float) -> None:
        self.waits.append(seconds)


@pytest.fixture
async def gateway(sim: GraphSimulator) -> AsyncIterator[GraphUserDirectory]:
    sim.clear_faults()
    sim.clear_requests()
    settings = load_settings(
        PARTNER_TENANT_ID=sim.partner_tenant_id,
        GRAPH_CLIENT_ID=sim.client_id,
        GRAPH_CLIENT_SECRET=sim.client_secret,
        GRAPH_AUTHORITY=sim.authority,
        GRAPH_BASE_URL=sim.graph_url,
        GRAPH_CA_BUNDLE=sim.ca_path,
    )
    graph = default_graph(settings)
    try:
        yield graph
    finally:
        await graph.aclose()


@pytest.fixture
def sent(gateway: GraphUserDirectory) -> Sent:
    recorder = Sent()
    gateway._http.event_hooks["request"].append(recorder.request)
    return recorder


def tenant(gateway: GraphUserDirectory, tenant_id: str, sent: Sent) -> GraphTenantDirectory:
    return GraphTenantDirectory(tenant_id, gateway.tenant(tenant_id)._sdk, sleep=sent.sleep)


async def test_a_full_passs_reads_are_one_http_request_with_the_same_answers_as_one_by_one(
    sim: GraphSimulator, gateway: GraphUserDirectory, sent: Sent
) -> None:
    graph = tenant(gateway, GREENLEAF, sent)

    fixed = await graph.fixed_reads(delta_start=latest_delta_url(sim.graph_url), p1=True)

    assert sim.request_count(tenant=GREENLEAF) == 1 and len(sent.batches) == 1
    assert sim.request_count(tenant=GREENLEAF, include_batched=True) == 6
    assert isinstance(fixed.delta_link, str) and "$deltatoken=" in fixed.delta_link
    assert fixed.users == await graph.users(sign_in_activity=True)
    assert fixed.skus == await graph.subscribed_skus()
    assert fixed.secure_score == await graph.latest_secure_score()
    assert fixed.registration_details == await graph.registration_details()
    assert isinstance(fixed.users, list) and any(u.sign_in_activity for u in fixed.users)


class SentRequest(Parsable, AdditionalDataHolder):
    """A request of the sent batch as kiota's JSON parse node reads it; a key the SDK's batch item
    does not write lands in `additional_data`."""

    def __init__(self) -> None:
        self.additional_data: dict[str, Any] = {}
        self.fields: dict[str, Any] = {}

    @staticmethod
    def create_from_discriminator_value(parse_node: ParseNode | None = None) -> SentRequest:
        return SentRequest()

    def get_field_deserializers(self) -> dict[str, Any]:
        def text(name: str) -> Any:
            return lambda n: self.fields.__setitem__(name, n.get_str_value())

        return {
            "id": text("id"),
            "method": text("method"),
            "url": text("url"),
            "dependsOn": lambda n: self.fields.__setitem__("dependsOn", n.get_collection_of_primitive_values(str)),
            "headers": lambda n: self.fields.__setitem__("headers", n.try_get_anything(n._json_node)),
        }

    def serialize(self, writer: SerializationWriter) -> None:
        raise NotImplementedError


class SentBatch(Parsable):
    def __init__(self) -> None:
        self.requests: list[SentRequest] = []

    @staticmethod
    def create_from_discriminator_value(parse_node: ParseNode | None = None) -> SentBatch:
        return SentBatch()

    def get_field_deserializers(self) -> dict[str, Any]:
        return {"requests": lambda n: setattr(self, "requests", n.get_collection_of_object_values(SentRequest))}

    def serialize(self, writer: SerializationWriter) -> None:
        raise NotImplementedError


async def test_the_batch_body_fits_the_sdks_batch_models(
    sim: GraphSimulator, gateway: GraphUserDirectory, sent: Sent
) -> None:
    graph = tenant(gateway, GREENLEAF, sent)
    await graph.fixed_reads(delta_start=latest_delta_url(sim.graph_url), p1=True)

    node = JsonParseNodeFactory().get_root_parse_node("application/json", sent.batches[0])
    batch = node.get_object_value(SentBatch)
    requests = {r.fields["id"]: r for r in batch.requests}

    assert set(requests) == set(PATHS)
    assert all(not r.additional_data for r in batch.requests)  # no `depends_on`, nothing the model lacks
    # The SDK's own batch model takes them as they are: at most 20, each dependency added before it.
    content = BatchRequestContent({})
    for request in batch.requests:
        content.add_request(request.fields["id"], _sdk_item(sim.graph_url, request))
    assert list(content.requests) == ["delta", "users", "skus", "score", "mfa"]
    for request_id, request in requests.items():
        url = str(request.fields["url"])
        assert request.fields["method"] == "GET" and request.fields["headers"] == {"accept": "application/json"}
        assert url.split("?")[0] == PATHS[request_id], url  # relative to the version root, as Graph wants
        assert request.fields.get("dependsOn", []) == ([] if request_id == "delta" else ["delta"])
    assert "signInActivity" in str(requests["users"].fields["url"]) and "%24top=500" in requests["users"].fields["url"]


def _sdk_item(graph_url: str, request: SentRequest) -> BatchRequestItem:
    import urllib.request

    sdk_request = urllib.request.Request(graph_url + str(request.fields["url"]), method=request.fields["method"])
    return BatchRequestItem.create_with_urllib_request(
        sdk_request, id=request.fields["id"], depends_on=request.fields.get("dependsOn")
    )


async def test_an_inner_429_is_retried_after_its_retry_after_sending_only_the_throttled_request(
    sim: GraphSimulator, gateway: GraphUserDirectory, sent: Sent
) -> None:
    fault = sim.throttle(tenant=GREENLEAF, path=REPORT, times=1, retry_after=2)
    graph = tenant(gateway, GREENLEAF, sent)

    fixed = await graph.fixed_reads(delta_start=latest_delta_url(sim.graph_url), p1=True)

    assert fault.hits == 1 and sent.waits == [2.0]
    assert isinstance(fixed.registration_details, list) and fixed.registration_details
    assert len(sent.batches) == 2 and sim.request_count(tenant=GREENLEAF) == 2
    retried = (
        JsonParseNodeFactory().get_root_parse_node("application/json", sent.batches[1]).get_object_value(SentBatch)
    )
    assert [r.fields["id"] for r in retried.requests] == ["mfa"]
    assert "dependsOn" not in retried.requests[0].fields  # the delta start it waited for already ran


async def test_a_throttled_delta_start_is_sent_again_with_the_requests_that_waited_for_it(
    sim: GraphSimulator, gateway: GraphUserDirectory, sent: Sent
) -> None:
    fault = sim.throttle(tenant=GREENLEAF, path="/users/delta", times=1, retry_after=1)
    graph = tenant(gateway, GREENLEAF, sent)

    fixed = await graph.fixed_reads(delta_start=latest_delta_url(sim.graph_url), p1=False)

    assert fault.hits == 1 and sent.waits == [1.0] and isinstance(fixed.delta_link, str)
    retried = (
        JsonParseNodeFactory().get_root_parse_node("application/json", sent.batches[1]).get_object_value(SentBatch)
    )
    assert sorted(r.fields["id"] for r in retried.requests) == ["delta", "score", "skus", "users"]
    assert isinstance(fixed.users, list) and len(fixed.users) == 8


async def test_an_inner_429_past_the_retries_is_that_reads_error_and_the_others_are_read(
    sim: GraphSimulator, gateway: GraphUserDirectory, sent: Sent
) -> None:
    fault = sim.throttle(tenant=GREENLEAF, path=REPORT, times=None, retry_after=1)
    graph = tenant(gateway, GREENLEAF, sent)

    fixed = await graph.fixed_reads(delta_start=latest_delta_url(sim.graph_url))

    assert fault.hits == 4 and sent.waits == [1.0, 1.0, 1.0]  # the first try and three more, as the SDK's
    report = fixed.registration_details
    assert isinstance(report, GraphError) and not isinstance(report, GraphPermanent) and report.status == 429
    assert isinstance(fixed.users, list) and len(fixed.users) == 8 and isinstance(fixed.delta_link, str)


async def test_a_tenant_without_p1_keeps_each_403_as_its_reads_error_and_syncs_without_sign_ins(
    sim: GraphSimulator, gateway: GraphUserDirectory, sent: Sent
) -> None:
    graph = tenant(gateway, NORTHSTAR, sent)

    fixed = await graph.fixed_reads(delta_start=None, p1=True)
    assert isinstance(fixed.registration_details, GraphForbidden) and isinstance(fixed.users, GraphForbidden)
    assert isinstance(fixed.skus, list) and fixed.delta_link is None

    reads = await read_full_pass(graph)
    assert not reads.facts.entra_p1 and reads.users and all(u.sign_in_activity is None for u in reads.users)
    assert sim.request_count(tenant=NORTHSTAR) == 3  # two batches (one per call here) and one users read


async def test_other_inner_errors_map_like_a_direct_requests(
    sim: GraphSimulator, gateway: GraphUserDirectory, sent: Sent
) -> None:
    sim.fail(404, tenant=GREENLEAF, path="/subscribedSkus", times=1, code="Request_ResourceNotFound")
    sim.fail(500, tenant=GREENLEAF, path="/security/secureScores", times=1)
    graph = tenant(gateway, GREENLEAF, sent)

    fixed = await graph.fixed_reads(p1=False)

    assert isinstance(fixed.skus, GraphRequestRefused) and fixed.skus.status == 404
    assert "/subscribedSkus in tenant" in str(fixed.skus)
    assert isinstance(fixed.secure_score, GraphError) and fixed.secure_score.status == 500
    assert sent.waits == []  # a 500 is not retried (nor by the SDK's RetryHandler)
