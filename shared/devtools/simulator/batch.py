"""`POST /$batch` as Microsoft Graph answers it (JSON batching):

* the body is `{"requests": [...]}`, each request with an `id` (unique, case-insensitively), a
  `method` and a `url` relative to the version root (`/users?...`: an absolute URL, or one that
  repeats `/v1.0`, is answered 400 like an unknown segment), optional `headers` and, with a
  `Content-Type` header, a `body`; at most 20 requests. Anything else is a 400 for the whole batch.
* `dependsOn` names earlier requests only, in one of the patterns Graph's known issues allow:
  parallel (none depends), serial (each on the one before) or same (all on the first one). A request
  whose dependency did not succeed is not run and is answered 424 Failed Dependency.
* each inner request is served by the same handlers as a direct one, with the outer request's
  `Authorization` (and its `Prefer` unless the inner one sets its own): faults of the fault set, the
  MFA report's rate limit and the request log apply to it as to a direct request (logged with
  `in_batch=True`; the `$batch` itself is logged once, as one HTTP request).
* each answer carries its own status, headers (`Retry-After` on a 429, `Location` on a 410, ...) and
  body, as `{"id", "status", "headers", "body"}`; the envelope is 200 whatever the inner statuses.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from typing import Any

from shared.devtools.simulator.wire import Request, Response, graph_error, json_response

__all__ = ["MAX_BATCH", "answer_batch"]

MAX_BATCH = 20
Handle = Callable[[Request], Response]  # serves one inner request (logged as in a batch)

_INVALID = "Invalid batch payload format."
_DEPENDENCY_PATTERN = "Batch should be either fully sequential or fully parallel."
_PASSED_ON = ("authorization", "prefer")


def answer_batch(request: Request, handle: Handle) -> Response:
    """The `$batch` answer to `request` (the outer request), each inner one served by `handle`."""
    items = _requests(request)
    if isinstance(items, Response):
        return items
    answers: dict[str, Response] = {}
    responses = []
    for item in items:
        key = str(item["id"]).lower()
        failed = [d for d in _depends_on(item) if not 200 <= answers[d.lower()].status < 300]
        if failed:
            answer = graph_error(
                request, 424, "FailedDependency", f"The request depends on request {failed[0]}, which failed."
            )
        else:
            answer = _serve(request, item, handle)
        answers[key] = answer
        responses.append(_entry(str(item["id"]), answer))
    return json_response(200, {"responses": responses})


def _requests(request: Request) -> list[dict[str, Any]] | Response:
    try:
        body = json.loads(request.body or b"null")
        items = body["requests"]
        if not isinstance(items, list) or not items:
            raise TypeError
        for item in items:
            if not isinstance(item, dict) or not all(isinstance(item.get(k), str) for k in ("id", "method", "url")):
                raise TypeError
            if not isinstance(item.get("headers", {}), dict) or not isinstance(item.get("dependsOn", []), list):
                raise TypeError
    except (ValueError, KeyError, TypeError):
        return graph_error(request, 400, "BadRequest", _INVALID)
    if len(items) > MAX_BATCH:
        return graph_error(
            request, 400, "BadRequest", f"Number of included requests exceeds the maximum of {MAX_BATCH}."
        )
    seen: set[str] = set()
    for item in items:
        key = str(item["id"]).lower()
        if key in seen:
            return graph_error(request, 400, "BadRequest", f"Batch request contains duplicate id '{item['id']}'.")
        unknown = [d for d in _depends_on(item) if str(d).lower() not in seen]
        if unknown:
            return graph_error(request, 400, "BadRequest", f"Invalid dependency for request Id '{item['id']}'.")
        seen.add(key)
    if not _allowed_pattern(items):
        return graph_error(request, 400, "BadRequest", _DEPENDENCY_PATTERN)
    return items


def _depends_on(item: dict[str, Any]) -> list[str]:
    return [str(d) for d in item.get("dependsOn") or []]


def _allowed_pattern(items: list[dict[str, Any]]) -> bool:
    """Parallel, serial, or every other request on the same one (the patterns Graph accepts)."""
    deps = [[d.lower() for d in _depends_on(item)] for item in items]
    ids = [str(item["id"]).lower() for item in items]
    if not any(deps):
        return True
    serial = not deps[0] and all(d == [ids[n - 1]] for n, d in enumerate(deps) if n > 0)
    same = not deps[0] and all(d == [ids[0]] for d in deps[1:])
    return serial or same


def _serve(outer: Request, item: dict[str, Any], handle: Handle) -> Response:
    url = str(item["url"])
    if "://" in url:
        return graph_error(
            outer, 400, "BadRequest", "Invalid request URI: a batched request's url is relative, e.g. /users."
        )
    headers = {k: v for k, v in outer.headers.items() if k in _PASSED_ON}
    headers.update({str(k).lower(): str(v) for k, v in (item.get("headers") or {}).items()})
    body = b""
    if "body" in item:
        if "content-type" not in headers:
            return graph_error(outer, 400, "BadRequest", "A request with a body needs a Content-Type header.")
        raw = item["body"]
        body = json.dumps(raw).encode() if not isinstance(raw, str) else base64.b64decode(raw)
    target = "/v1.0" + (url if url.startswith("/") else "/" + url)
    return handle(Request.build(str(item["method"]), target, headers, body))


def _entry(request_id: str, answer: Response) -> dict[str, Any]:
    headers = {k: v for k, v in answer.headers.items() if k.lower() != "content-length"}
    content_type = answer.headers.get("Content-Type", "")
    if not answer.body:
        body: Any = None
    elif content_type.split(";")[0].strip().endswith("json"):
        body = answer.json()
    else:
        body = base64.b64encode(answer.body).decode()
    entry: dict[str, Any] = {"id": request_id, "status": answer.status, "headers": headers}
    if body is not None:
        entry["body"] = body
    return entry
