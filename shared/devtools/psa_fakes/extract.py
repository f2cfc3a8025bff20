"""Endpoints a fake serves although its vendor's spec extract lacks them (psa-specs/SOURCES.md: "not
kept, but may be needed"): Halo's auth server and `/api/Site`, ConnectWise's contact communications and
callback key, Autotask's zone lookup and next-page URLs.

    outside = OutsideExtract(("POST", "/auth/token"), ("GET", "/api/Site"))
    outside.check(request)        # None: a spec endpoint; else (body, []) and the hit is recorded
    outside.hits                  # ["POST /auth/token", ...]: marked "outside the spec extract"

Their requests are not checked against the spec (there is nothing to check them against): each one is
marked instead, so a test can see which of them a client used. A JSON body is parsed (a malformed one
is a problem); any other body (Halo's form-encoded token request) is left to the handler's `raw_body`.
"""

from __future__ import annotations

import json
import re
import threading
from typing import Any

from shared.devtools.psa_fakes.wire import FakeRequest

__all__ = ["OutsideExtract"]


class OutsideExtract:
    """Full-path templates (`/company/contacts/{id}/communications`) served outside the spec extract."""

    def __init__(self, *endpoints: tuple[str, str]) -> None:
        self._endpoints = [(method.upper(), template, _pattern(template)) for method, template in endpoints]
        self._hits: list[str] = []
        self._lock = threading.Lock()

    def template_for(self, method: str, path: str) -> str | None:
        for wanted, template, pattern in self._endpoints:
            if wanted == method.upper() and pattern.fullmatch(path):
                return template
        return None

    def check(self, request: FakeRequest) -> tuple[Any, list[str]] | None:
        """None for a request the spec covers; else its JSON body (or None) and its problems, recorded."""
        template = self.template_for(request.method, request.path)
        if template is None:
            return None
        with self._lock:
            self._hits.append(f"{request.method} {template}")
        if not request.raw_body or "json" not in request.headers.get("content-type", "").lower():
            return None, []
        try:
            return json.loads(request.raw_body), []
        except ValueError as exc:
            return None, [f"the body is not valid JSON: {exc}"]

    @property
    def hits(self) -> list[str]:
        """`METHOD template` of every request served outside the spec extract, oldest first."""
        with self._lock:
            return list(self._hits)

    def clear(self) -> None:
        with self._lock:
            self._hits.clear()


def _pattern(template: str) -> re.Pattern[str]:
    parts = re.split(r"({[^}]+})", template)
    return re.compile("".join("[^/]+" if part.startswith("{") else re.escape(part) for part in parts))
