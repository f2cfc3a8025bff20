"""The Graph simulator's `POST /$batch`, as Microsoft Graph answers it (JSON batching): at most 20
requests, unique ids, `dependsOn` on earlier requests in the patterns Graph accepts, 424 for a request
whose dependency failed, each inner answer with its own status and headers (Retry-After from the fault
set), and the batch counted as one HTTP request with its inner requests logged apart."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from kiota_serialization_json.json_parse_node_factory import JsonParseNodeFactory
from msgraph_core.requests.batch_response_content import BatchResponseContent

from shared.devtools import NORTHWIND
from shared.devtools.simulator import GraphSimulator, load_scenario

pytestmark = [pytest.mark.integration, pytest.mark.no_azurite]

GREENLEAF = "d4db95b7-337d-540d-8a9f-13b6f9b2058a"  # Entra ID P1, 8 users
NORTHSTAR = "d45acb64-8bba-5d09-932e-361164bfb6b2"  # no P1
REPORT = "/reports/authenticationMethods/userRegistrationDetails"


@pytest.fixture
def sim() -> Iterator[GraphSimulator]:
    with GraphSimulator(load_scenario(NORTHWIND)) as simulator:
        yield simulator


def _batch(sim: GraphSimulator, tenant: str, requests: list[dict[str, Any]]) -> httpx.Response:
    headers = {"Authorization": f"Bearer {sim.issue_token(tenant)}"}
    return httpx.post(f"{sim.graph_url}/$batch", json={"requests": requests}, headers=headers)


def _answers(response: httpx.Response) -> dict[str, dict[str, Any]]:
    assert response.status_code == 200, response.text
    return {item["id"]: item for item in response.json()["responses"]}


def _get(request_id: str, url: str, **extra: Any) -> dict[str, Any]:
    return {"id": request_id, "method": "GET", "url": url, **extra}


def test_an_inner_429_from_the_fault_set_carries_its_retry_after_and_the_others_are_answered(
    sim: GraphSimulator,
) -> None:
    fault = sim.throttle(tenant=GREENLEAF, path=REPORT, times=1, retry_after=7)

    answers = _answers(_batch(sim, GREENLEAF, [_get("mfa", REPORT), _get("skus", "/subscribedSkus")]))

    assert fault.hits == 1
    assert answers["mfa"]["status"] == 429 and answers["mfa"]["headers"]["Retry-After"] == "7"
    assert answers["mfa"]["body"]["error"]["code"] == "TooManyRequests"
    assert answers["skus"]["status"] == 200 and answers["skus"]["body"]["value"]


def test_the_batch_is_one_http_request_and_its_inner_requests_are_logged_apart(sim: GraphSimulator) -> None:
    _answers(_batch(sim, GREENLEAF, [_get("1", "/users?$top=5"), _get("2", "/security/secureScores?$top=1")]))

    assert sim.request_count(tenant=GREENLEAF) == 1
    assert sim.request_count(tenant=GREENLEAF, include_batched=True) == 3
    inner = sorted(r.path for r in sim.requests if r.in_batch)
    assert inner == ["/security/secureScores", "/users"]


def test_inner_403_without_p1_is_answered_with_graphs_error_for_that_request_alone(sim: GraphSimulator) -> None:
    requests = [_get("mfa", REPORT), _get("users", "/users?$select=id,signInActivity&$top=500"), _get("o", "/users")]

    answers = _answers(_batch(sim, NORTHSTAR, requests))

    assert answers["mfa"]["status"] == 403 and answers["users"]["status"] == 403
    assert answers["mfa"]["body"]["error"]["code"] == "Authentication_RequestFromNonPremiumTenantOrB2CTenant"
    assert answers["o"]["status"] == 200


def test_depends_on_runs_the_dependency_first_and_a_failed_one_answers_its_dependents_424(
    sim: GraphSimulator,
) -> None:
    fault = sim.fail(503, tenant=GREENLEAF, path="/users/delta", times=1)
    requests = [
        _get("delta", "/users/delta?$deltatoken=latest"),
        _get("users", "/users", dependsOn=["delta"]),
        _get("skus", "/subscribedSkus", dependsOn=["delta"]),
    ]

    answers = _answers(_batch(sim, GREENLEAF, requests))

    assert fault.hits == 1 and answers["delta"]["status"] == 503
    assert answers["users"]["status"] == answers["skus"]["status"] == 424
    assert sim.request_count(tenant=GREENLEAF, include_batched=True) == 2  # the batch and the delta: no others ran
    again = _answers(_batch(sim, GREENLEAF, requests))
    assert {item["status"] for item in again.values()} == {200}
    order = [r.path for r in sim.requests if r.in_batch][-3:]
    assert order[0] == "/users/delta"


@pytest.mark.parametrize(
    ("requests", "message"),
    [
        ([_get(str(n), "/organization") for n in range(21)], "exceeds the maximum of 20"),
        ([_get("a", "/organization"), _get("A", "/subscribedSkus")], "duplicate id"),
        ([_get("a", "/organization", dependsOn=["b"]), _get("b", "/subscribedSkus")], "Invalid dependency"),
        (
            [
                _get("a", "/organization"),
                _get("b", "/subscribedSkus", dependsOn=["a"]),
                _get("c", "/users", dependsOn=["b"]),
                _get("d", "/groups", dependsOn=["a"]),
            ],
            "fully sequential or fully parallel",
        ),
        ([{"id": "a", "url": "/organization"}], "Invalid batch payload format"),
        ([], "Invalid batch payload format"),
    ],
    ids=["21-requests", "duplicate-ids", "forward-dependency", "mixed-dependencies", "no-method", "empty"],
)
def test_a_malformed_batch_is_refused_whole_with_400(
    sim: GraphSimulator, requests: list[dict[str, Any]], message: str
) -> None:
    response = _batch(sim, GREENLEAF, requests)

    assert response.status_code == 400 and message in response.json()["error"]["message"]
    assert sim.request_count(tenant=GREENLEAF, include_batched=True) == 1  # nothing inside ran


def test_serial_and_same_dependency_patterns_are_accepted(sim: GraphSimulator) -> None:
    serial = [
        _get("a", "/organization"),
        _get("b", "/subscribedSkus", dependsOn=["a"]),
        _get("c", "/users", dependsOn=["b"]),
    ]
    same = [
        _get("a", "/organization"),
        _get("b", "/subscribedSkus", dependsOn=["a"]),
        _get("c", "/users", dependsOn=["a"]),
    ]

    for requests in (serial, same):
        assert {item["status"] for item in _answers(_batch(sim, GREENLEAF, requests)).values()} == {200}


def test_inner_urls_are_relative_to_the_version_root(sim: GraphSimulator) -> None:
    requests = [_get("abs", f"{sim.graph_url}/users"), _get("ver", "/v1.0/users"), _get("ok", "users?$top=1")]

    answers = _answers(_batch(sim, GREENLEAF, requests))

    assert answers["abs"]["status"] == 400 and answers["ver"]["status"] == 400
    assert "segment 'v1.0'" in answers["ver"]["body"]["error"]["message"]
    assert answers["ok"]["status"] == 200 and len(answers["ok"]["body"]["value"]) == 1


def test_the_answer_reads_with_the_sdks_batch_response_model(sim: GraphSimulator) -> None:
    sim.throttle(tenant=GREENLEAF, path="/subscribedSkus", times=1, retry_after=3)
    response = _batch(sim, GREENLEAF, [_get("1", "/organization"), _get("2", "/subscribedSkus")])

    node = JsonParseNodeFactory().get_root_parse_node("application/json", response.content)
    content = node.get_object_value(BatchResponseContent)

    assert content.get_response_status_codes() == {"1": 200, "2": 429}
    throttled = content.get_response_by_id("2")
    assert throttled is not None and throttled.headers["Retry-After"] == "3"
