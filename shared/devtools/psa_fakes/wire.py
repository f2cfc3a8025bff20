"""Plain values passed between a fake's HTTP plumbing and its vendor handlers, and the records it keeps."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

__all__ = ["FakeRequest", "FakeResponse", "Handler", "LoadedIds", "Refusal", "RequestRecord", "Route", "SpecViolation"]

IdT = TypeVar("IdT")


@dataclass(frozen=True)
class FakeRequest:
    method: str
    path: str  # percent-decoded, as sent (e.g. /api/v1/contacts/5), without the query
    query: dict[str, list[str]]
    headers: Mapping[str, str]  # lower-case names
    raw_body: bytes = b""
    json: Any = None  # the parsed JSON body (None when there is none)

    def param(self, name: str) -> str | None:
        """A query parameter's last value (None when absent)."""
        values = self.query.get(name)
        return values[-1] if values else None


@dataclass
class FakeResponse:
    status: int
    payload: Any = None  # JSON-serialisable; None: an empty body
    headers: dict[str, str] = field(default_factory=dict)

    def encode(self) -> bytes:
        return b"" if self.payload is None else json.dumps(self.payload, separators=(",", ":")).encode()


class Refusal(Exception):
    """Raised by a vendor handler: the fake answers `error(status, code, message, details)`."""

    def __init__(self, status: int, code: str, message: str, details: Any = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.details = status, code, message, details


Handler = Callable[[FakeRequest, dict[str, str]], FakeResponse]


@dataclass
class Route:
    """One endpoint a fake serves: a method and a path template relative to the fake's API root."""

    method: str
    template: str  # e.g. "/contacts/{id}"
    handler: Handler
    pattern: re.Pattern[str] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        regex = re.sub(r"\\{([a-z_]+)\\}", r"(?P<\1>[^/]+)", re.escape(self.template))
        self.pattern = re.compile(regex)

    def match(self, method: str, path: str) -> dict[str, str] | None:
        if method.upper() != self.method:
            return None
        hit = self.pattern.fullmatch(path)
        return hit.groupdict() if hit else None


@dataclass(frozen=True)
class RequestRecord:
    method: str
    path: str  # as sent
    query: dict[str, list[str]]
    status: int  # 0: the connection was dropped without an answer
    at: float  # time.time()
    fault: str | None = None  # "status", "slow" or "drop" when an injected fault shaped the answer
    body: Any = None  # the request's JSON body as received (None: none, or not JSON)


@dataclass(frozen=True)
class SpecViolation:
    method: str
    path: str
    query: dict[str, list[str]]
    problems: tuple[str, ...]

    def __str__(self) -> str:
        return f"{self.method} {self.path}: " + "; ".join(self.problems)


@dataclass(frozen=True)
class LoadedIds(Generic[IdT]):
    """The vendor ids `load` assigned, in the order the records were given."""

    clients: list[IdT]
    contacts: list[IdT]
