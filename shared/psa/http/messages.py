"""The vendor's own words from an error answer, whatever its shape.

Seen shapes: `{"error": {"code", "message", "details"}}` (Alga), `{"errors": "..."}`,
`{"message": [...]}`, `{"error": "..."}` (Syncro), `{"code", "message", "errors": [...]}` (ConnectWise).
Anything else: the body's first characters.
"""

from __future__ import annotations

import json
from typing import Any

import httpx

__all__ = ["vendor_message"]

_MAX = 500


def vendor_message(response: httpx.Response) -> str:
    """A one-line message for `response`, prefixed with its status."""
    try:
        body: Any = response.json()
    except (ValueError, UnicodeDecodeError):
        body = None
    text = _from_body(body) if body is not None else response.text.strip()
    text = " ".join(text.split())[:_MAX]
    return f"{response.status_code}: {text}" if text else f"{response.status_code} {response.reason_phrase}"


def _from_body(body: Any) -> str:
    if isinstance(body, dict):
        error = body.get("error")
        if isinstance(error, dict):
            parts = [str(error.get("message") or error.get("code") or "")]
            details = error.get("details")
            if details:
                parts.append(_flat(details))
            return " ".join(p for p in parts if p)
        if isinstance(body.get("message"), str) and body["message"] and body.get("errors"):
            return f"{body['message']} ({_flat(body['errors'])})"  # ConnectWise: the message, then its items
        for key in ("errors", "message", "error", "detail"):
            if body.get(key):
                return _flat(body[key])
    return _flat(body)


def _flat(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return "; ".join(_flat(v) for v in value)
    return json.dumps(value, separators=(",", ":"), default=str)
