"""The small part of OData the simulator understands: state tokens, `$top`, `$select` and a
`$filter` of `eq` / `ne` clauses joined by `and` (anything else is refused, never ignored)."""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable
from typing import Any

__all__ = ["FilterError", "compile_filter", "decode_state", "encode_state", "parse_select"]


def encode_state(state: dict[str, Any]) -> str:
    """An opaque, URL-safe token carrying `state` (the simulator's skip and delta tokens)."""
    raw = json.dumps(state, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def decode_state(token: str) -> dict[str, Any] | None:
    try:
        state = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    except ValueError:
        return None
    return state if isinstance(state, dict) else None


def parse_select(value: str | None) -> list[str] | None:
    if value is None:
        return None
    fields = [name.strip() for name in value.split(",") if name.strip()]
    return list(dict.fromkeys(fields)) or None


class FilterError(ValueError):
    pass


_CLAUSE = re.compile(r"^\s*([A-Za-z_][\w/]*)\s+(eq|ne)\s+(.+?)\s*$", re.IGNORECASE)
_AND = re.compile(r"\s+and\s+", re.IGNORECASE)


def _literal(text: str) -> Any:
    if len(text) >= 2 and text[0] == text[-1] == "'":
        return text[1:-1].replace("''", "'")
    lowered = text.lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    if lowered == "null":
        return None
    try:
        return float(text) if "." in text else int(text)
    except ValueError:
        raise FilterError(text) from None


def _lookup(item: dict[str, Any], path: str) -> Any:
    value: Any = item
    for part in path.split("/"):
        value = value.get(part) if isinstance(value, dict) else None
    return value


def compile_filter(expression: str) -> Callable[[dict[str, Any]], bool]:
    """A predicate for `prop eq 'x' and other/prop ne true`; FilterError names the bad clause."""
    tests: list[tuple[str, bool, Any]] = []
    for clause in _AND.split(expression.strip()):
        match = _CLAUSE.match(clause)
        if match is None:
            raise FilterError(clause)
        name, operator, literal = match.groups()
        tests.append((name, operator.lower() == "eq", _literal(literal)))

    def predicate(item: dict[str, Any]) -> bool:
        for name, equal, expected in tests:
            actual = _lookup(item, name)
            if isinstance(actual, str) and isinstance(expected, str):
                same = actual.lower() == expected.lower()
            else:
                same = actual == expected
            if same != equal:
                return False
        return True

    return predicate
