"""JSON `$batch` (learn.microsoft.com/graph/json-batching) through msgraph-core's batch models.

The requests are the SDK request builders' `RequestInformation`, each wrapped in a `BatchRequestItem`
of a `BatchRequestContent`, posted with `BatchRequestBuilder`'s request information through the
tenant's request adapter: the Graph client's middleware (auth, the RetryHandler on a 429/503/504 of
the batch itself) applies as to any request. The answer is read as raw bytes into pydantic, as
collection pages are: msgraph-core's `BatchResponseContent` drops a body that is a JSON object
(kiota-python issue 737), and the SDK's models are slow (DESIGN, "Speed").

Each inner answer has its own status. An inner 429, 503 or 504 is retried after its `Retry-After`
(the longest among those retried; exponential back-off without one), re-sending only the requests
that failed so, with those answered 424 because a request they depend on did, up to `MAX_RETRIES`
times as the SDK's RetryHandler would. Whatever status is left is the caller's to map
(`BatchAnswer.error`, the same mapping as a direct request's).

Two msgraph-core 1.5 quirks are worked around here: `BatchRequestItem` writes `depends_on`, which
Graph ignores (it reads `dependsOn`), and it keeps the URL it is given, where Graph wants one relative
to the version root (`/users?...`, not `https://graph.microsoft.com/v1.0/users?...` nor `/v1.0/users`).
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, replace
from email.utils import parsedate_to_datetime
from typing import Any

from kiota_abstractions.request_adapter import RequestAdapter
from kiota_abstractions.request_information import RequestInformation
from kiota_abstractions.serialization import SerializationWriter
from msgraph_core.requests.batch_request_builder import BatchRequestBuilder
from msgraph_core.requests.batch_request_content import BatchRequestContent
from msgraph_core.requests.batch_request_item import BatchRequestItem
from pydantic import Field, ValidationError

from shared.errors import GraphError
from shared.graph.errors import graph_error_for
from shared.models.base import WireModel

__all__ = [
    "MAX_REQUESTS",
    "MAX_RETRIES",
    "BatchAnswer",
    "BatchStep",
    "batch_content",
    "relative_url",
    "send_batch",
]

MAX_REQUESTS: int = BatchRequestContent.MAX_REQUESTS  # 20, Graph's limit
MAX_RETRIES = 3  # as the SDK's RetryHandler
MAX_DELAY = 180.0  # seconds, as the SDK's RetryHandler
BACKOFF = 0.5  # seconds, doubling, when a retried answer carries no Retry-After
RETRIED = frozenset({429, 503, 504})
FAILED_DEPENDENCY = 424

Send = Callable[[RequestInformation], Awaitable[bytes | None]]
Sleep = Callable[[float], Awaitable[None]]


@dataclass(frozen=True)
class BatchStep:
    """One request of a batch: its id, the SDK's request for it, the ids it must run after."""

    id: str
    info: RequestInformation
    depends_on: tuple[str, ...] = ()


class BatchAnswer(WireModel):
    """One inner answer: `{"id", "status", "headers", "body"}`."""

    id: str
    status: int
    headers: dict[str, Any] = Field(default_factory=dict)
    body: Any = None

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    def header(self, name: str) -> str | None:
        lowered = name.lower()
        return next((str(v) for k, v in self.headers.items() if k.lower() == lowered), None)

    def content(self) -> Any:
        """The body as JSON values: Graph inlines a JSON body, and base64-encodes any other."""
        if isinstance(self.body, str):
            try:
                return json.loads(base64.b64decode(self.body, validate=True))
            except (ValueError, binascii.Error):
                return self.body
        return self.body

    def error(self, where: str) -> GraphError:
        """This answer's failure as a direct request's would be (`shared.graph.errors`)."""
        body = self.content()
        detail = body.get("error") if isinstance(body, dict) else None
        code = str(detail.get("code")) if isinstance(detail, dict) and detail.get("code") else None
        message = str(detail.get("message")) if isinstance(detail, dict) and detail.get("message") else ""
        return graph_error_for(self.status, code, message or f"status {self.status}", where)


class _Envelope(WireModel):
    responses: list[BatchAnswer] = Field(default_factory=list)


class _GraphBatchItem(BatchRequestItem):  # type: ignore[misc]  # msgraph_core is untyped
    """A `BatchRequestItem` that writes `dependsOn` as Graph spells it (msgraph-core writes `depends_on`)."""

    def serialize(self, writer: SerializationWriter) -> None:
        depends_on: list[str] | None = self.depends_on
        self._depends_on = None
        try:
            super().serialize(writer)
        finally:
            self._depends_on = depends_on
        if depends_on:
            writer.write_collection_of_primitive_values("dependsOn", list(depends_on))


def relative_url(url: str, base_url: str) -> str:
    """`url` relative to the version root `base_url` (e.g. `http://host/v1.0`), as a batch item names it."""
    base = base_url.rstrip("/")
    if url.lower().startswith(base.lower()):
        url = url[len(base) :]
    return url if url.startswith("/") else f"/{url}"


def batch_content(steps: Sequence[BatchStep], base_url: str) -> BatchRequestContent:
    """The SDK's batch model of `steps` (which checks the count and that each dependency comes first)."""
    content = BatchRequestContent({})
    for step in steps:
        item = _GraphBatchItem(step.info, id=step.id, depends_on=list(step.depends_on))
        item.url = relative_url(item.url, base_url)
        content.add_request(step.id, item)
    return content


async def send_batch(
    adapter: RequestAdapter,
    send: Send,
    steps: Sequence[BatchStep],
    *,
    where: str,
    sleep: Sleep = asyncio.sleep,
    max_retries: int = MAX_RETRIES,
) -> dict[str, BatchAnswer]:
    """Every step's answer by id, the throttled ones retried (see the module docstring). `send` posts a
    request and returns the raw body, raising for the batch's own failure; `where` names the tenant
    in errors."""
    if not 0 < len(steps) <= MAX_REQUESTS:
        raise ValueError(f"a batch holds 1 to {MAX_REQUESTS} requests, not {len(steps)}")
    answers: dict[str, BatchAnswer] = {}
    pending = list(steps)
    for attempt in range(max_retries + 1):
        got = await _post(adapter, send, pending, where)
        answers.update(got)
        again = _to_retry(pending, got)
        if not again or attempt == max_retries:
            break
        await sleep(_delay([got[s.id] for s in again if s.id in got], attempt))
        ids = {s.id for s in again}
        # A dependency that succeeded already ran: only one re-sent alongside is still waited for.
        pending = [replace(s, depends_on=tuple(d for d in s.depends_on if d in ids)) for s in again]
    for step in steps:
        if step.id not in answers:
            answers[step.id] = _missing(step.id)
    return answers


async def _post(adapter: RequestAdapter, send: Send, steps: Sequence[BatchStep], where: str) -> dict[str, BatchAnswer]:
    content = batch_content(steps, adapter.base_url)
    info = await BatchRequestBuilder(adapter).to_post_request_information(content)
    raw = await send(info)
    try:
        envelope = _Envelope.model_validate_json(raw or b"{}")
    except ValidationError as exc:
        raise GraphError(f"unexpected $batch answer for {where}: {exc}", code="payload") from exc
    wanted = {s.id for s in steps}
    return {a.id: a for a in envelope.responses if a.id in wanted}


def _to_retry(pending: Sequence[BatchStep], got: dict[str, BatchAnswer]) -> list[BatchStep]:
    retry = {s.id for s in pending if s.id not in got or got[s.id].status in RETRIED}
    grew = True
    while grew:  # a request answered 424 because one it depends on failed goes again with it
        grew = False
        for step in pending:
            answer = got.get(step.id)
            if step.id in retry or answer is None or answer.status != FAILED_DEPENDENCY:
                continue
            if any(d in retry for d in step.depends_on):
                retry.add(step.id)
                grew = True
    return [s for s in pending if s.id in retry]


def _delay(answers: Sequence[BatchAnswer], attempt: int) -> float:
    waits = [w for w in (_retry_after(a) for a in answers if a.status in RETRIED) if w is not None]
    return min(MAX_DELAY, max(waits) if waits else BACKOFF * 2**attempt)


def _retry_after(answer: BatchAnswer) -> float | None:
    value = answer.header("Retry-After")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:  # an HTTP date
        return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError):
        return None


def _missing(step_id: str) -> BatchAnswer:
    error = {"code": "batchAnswerMissing", "message": "the $batch answer had no response for this request"}
    return BatchAnswer(id=step_id, status=502, body={"error": error})
