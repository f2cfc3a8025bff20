"""Plain request and response values passed between the HTTP plumbing and the simulated APIs,
and the two error bodies they answer with: Graph's and Entra's (the token endpoint's)."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any
from urllib.parse import parse_qsl, unquote

__all__ = ["GRAPH_JSON", "Request", "Response", "entra_error", "graph_error", "json_response"]

# What Graph sends for JSON (kiota only looks at the part before ';').
GRAPH_JSON = "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8"


@dataclass
class Request:
    method: str
    path: str  # percent-decoded, without the query
    raw_query: str
    headers: Mapping[str, str]  # lower-case names
    body: bytes = b""
    request_id: str = field(default_factory=lambda: str(uuid.uuid4()))

    @classmethod
    def build(cls, method: str, target: str, headers: Mapping[str, str], body: bytes = b"") -> Request:
        path, _, query = target.partition("?")
        return cls(method.upper(), unquote(path), query, {k.lower(): v for k, v in headers.items()}, body)

    @cached_property
    def query(self) -> dict[str, str]:
        """Query options, names lower-cased for `$`-options as OData allows; last value wins."""
        options: dict[str, str] = {}
        for name, value in parse_qsl(self.raw_query, keep_blank_values=True):
            options[name.lower() if name.startswith("$") else name] = value
        return options

    @property
    def client_request_id(self) -> str:
        return self.headers.get("client-request-id") or self.request_id


@dataclass
class Response:
    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    error_code: str | None = None  # Graph error code or Entra error, for the request log

    def json(self) -> Any:
        return json.loads(self.body) if self.body else None


def json_response(status: int, payload: Any, headers: Mapping[str, str] | None = None) -> Response:
    body = json.dumps(payload, separators=(",", ":")).encode()
    return Response(status, body, {"Content-Type": GRAPH_JSON, **(headers or {})})


def graph_error(
    request: Request,
    status: int,
    code: str,
    message: str,
    headers: Mapping[str, str] | None = None,
) -> Response:
    """Graph's error body: {"error": {"code", "message", "innerError": {date, request-id, ...}}}."""
    payload = {
        "error": {
            "code": code,
            "message": message,
            "innerError": {
                "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S"),
                "request-id": request.request_id,
                "client-request-id": request.client_request_id,
            },
        }
    }
    response = json_response(status, payload, headers)
    response.error_code = code
    return response


def entra_error(status: int, error: str, code: int, description: str) -> Response:
    """The token endpoint's error body, as Entra ID (login.microsoftonline.com) sends it."""
    now = dt.datetime.now(dt.UTC)
    trace_id, correlation_id = str(uuid.uuid4()), str(uuid.uuid4())
    stamp = now.strftime("%Y-%m-%d %H:%M:%SZ")
    payload = {
        "error": error,
        "error_description": (
            f"AADSTS{code}: {description} Trace ID: {trace_id} Correlation ID: {correlation_id} Timestamp: {stamp}"
        ),
        "error_codes": [code],
        "timestamp": stamp,
        "trace_id": trace_id,
        "correlation_id": correlation_id,
        "error_uri": f"https://login.microsoftonline.com/error?code={code}",
    }
    body = json.dumps(payload).encode()
    headers = {"Content-Type": "application/json; charset=utf-8", "Cache-Control": "no-store, no-cache"}
    return Response(status, body, headers, error_code=error)
