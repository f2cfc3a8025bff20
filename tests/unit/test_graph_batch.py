"""The `$batch` plumbing on a scripted adapter: only the throttled requests are sent again (with the
dependents that were answered 424 because of them), after the longest Retry-After; an answer that
never comes is an error of that request; URLs are relative to the version root."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

import httpx
import pytest
from kiota_abstractions.authentication import AnonymousAuthenticationProvider
from kiota_abstractions.method import Method
from kiota_abstractions.request_information import RequestInformation
from msgraph.graph_request_adapter import GraphRequestAdapter
from msgraph.graph_service_client import GraphServiceClient

from shared.errors import GraphError, GraphForbidden, GraphRequestRefused
from shared.graph.batch import BatchAnswer, BatchStep, relative_url, send_batch

BASE = "https://graph.microsoft.com/v1.0"


def _adapter() -> GraphRequestAdapter:
    adapter = GraphRequestAdapter(AnonymousAuthenticationProvider(), client=httpx.AsyncClient())
    adapter.base_url = BASE
    GraphServiceClient(request_adapter=adapter)  # registers the JSON serializers, as the app's client does
    return adapter


def _info(path: str) -> RequestInformation:
    info = RequestInformation(Method.GET)
    info.url = BASE + path
    return info


class Graph:
    """Answers each posted batch from a script: request id -> the statuses of its successive tries."""

    def __init__(self, script: dict[str, list[int]], headers: dict[str, dict[str, str]] | None = None) -> None:
        self.script, self.headers = script, headers or {}
        self.sent: list[list[dict[str, Any]]] = []
        self.waits: list[float] = []

    async def send(self, info: RequestInformation) -> bytes:
        body = json.loads(info.content or b"{}")
        self.sent.append(body["requests"])
        responses = []
        for item in body["requests"]:
            statuses = self.script.get(item["id"], [200])
            status = statuses.pop(0) if len(statuses) > 1 else statuses[0]
            if status == 0:
                continue  # no answer for it
            answer: dict[str, Any] = {"id": item["id"], "status": status, "headers": self.headers.get(item["id"], {})}
            answer["body"] = {"value": []} if status < 400 else {"error": {"code": f"E{status}", "message": "no"}}
            responses.append(answer)
        return json.dumps({"responses": responses}).encode()

    async def sleep(self, seconds: float) -> None:
        self.waits.append(seconds)


async def _batch(graph: Graph, steps: list[BatchStep]) -> dict[str, BatchAnswer]:
    return await send_batch(_adapter(), graph.send, steps, where="tenant t", sleep=graph.sleep)


async def test_only_throttled_requests_are_sent_again_after_the_longest_retry_after() -> None:
    graph = Graph({"a": [429, 200], "b": [503, 200]}, {"a": {"Retry-After": "3"}, "b": {"retry-after": "5"}})

    answers = await _batch(
        graph, [BatchStep("a", _info("/a")), BatchStep("b", _info("/b")), BatchStep("c", _info("/c"))]
    )

    assert {k: a.status for k, a in answers.items()} == {"a": 200, "b": 200, "c": 200}
    assert [sorted(r["id"] for r in sent) for sent in graph.sent] == [["a", "b", "c"], ["a", "b"]]
    assert graph.waits == [5.0]


async def test_dependents_answered_424_go_again_with_their_throttled_dependency_and_still_wait_for_it() -> None:
    graph = Graph({"root": [429, 200], "x": [424, 200], "y": [424, 200]}, {"root": {"Retry-After": "1"}})
    steps = [
        BatchStep("root", _info("/r")),
        BatchStep("x", _info("/x"), ("root",)),
        BatchStep("y", _info("/y"), ("root",)),
    ]

    answers = await _batch(graph, steps)

    assert all(a.ok for a in answers.values())
    second = {r["id"]: r.get("dependsOn") for r in graph.sent[1]}
    assert second == {"root": None, "x": ["root"], "y": ["root"]}


async def test_a_request_still_throttled_after_three_retries_keeps_its_429() -> None:
    graph = Graph({"a": [429]}, {"a": {"Retry-After": "2"}})

    answers = await _batch(graph, [BatchStep("a", _info("/a"))])

    assert answers["a"].status == 429 and len(graph.sent) == 4 and graph.waits == [2.0, 2.0, 2.0]
    error = answers["a"].error("/a in tenant t")
    assert type(error) is GraphError and error.status == 429


async def test_without_retry_after_the_wait_backs_off_and_an_http_date_is_honoured() -> None:
    later = format_datetime(datetime.now(UTC) + timedelta(seconds=30), usegmt=True)
    graph = Graph({"a": [503, 503, 200], "b": [429, 200]}, {"b": {"Retry-After": later}})

    await _batch(graph, [BatchStep("a", _info("/a"))])
    assert graph.waits == [0.5, 1.0]
    graph.waits.clear()
    await _batch(graph, [BatchStep("b", _info("/b"))])
    assert 25 < graph.waits[0] <= 30


async def test_a_request_graph_never_answered_is_retried_then_an_error_of_its_own() -> None:
    graph = Graph({"gone": [0]})

    answers = await _batch(graph, [BatchStep("gone", _info("/g")), BatchStep("ok", _info("/o"))])

    assert answers["ok"].ok and answers["gone"].status == 502 and len(graph.sent) == 4


@pytest.mark.parametrize(
    ("status", "kind"), [(403, GraphForbidden), (404, GraphRequestRefused), (400, GraphRequestRefused)]
)
async def test_other_inner_errors_map_as_a_direct_requests_would(status: int, kind: type[GraphError]) -> None:
    answers = await _batch(Graph({"a": [status]}), [BatchStep("a", _info("/a"))])

    error = answers["a"].error("/a in tenant t")
    assert isinstance(error, kind) and error.status == status and error.code == f"E{status}"


def test_urls_are_relative_to_the_version_root() -> None:
    assert relative_url(f"{BASE}/users?$top=1", BASE) == "/users?$top=1"
    assert relative_url("/subscribedSkus", BASE) == "/subscribedSkus"
    assert relative_url("users", BASE) == "/users"
