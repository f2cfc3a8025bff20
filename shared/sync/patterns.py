"""Operator-supplied regular expressions (exclusion patterns, R2.3), run by RE2.

Python's `re` backtracks: `(a+)+$` against a long local part runs for minutes and holds the GIL, so
one saved pattern could stall every worker. RE2 matches in time linear in the text, whatever the
pattern; the price is no backreferences and no lookarounds, which `problem` reports so a save can
refuse them.

Semantics the patterns rely on: searched (not matched from the start), case-insensitive, `^` and `$`
at the ends of the text (a local part holds no newline). RE2's `\\w`, `\\d` and `\\b` are ASCII-only.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import re2  # type: ignore[import-untyped]

__all__ = ["UserPattern", "compile_pattern", "problem"]

_OPTIONS = re2.Options()
_OPTIONS.case_sensitive = False
_OPTIONS.log_errors = False  # RE2 would print every refused pattern to stderr


@dataclass(frozen=True)
class UserPattern:
    """A compiled pattern, or why it cannot be used (`problem`; then it finds nothing itself)."""

    source: str
    problem: str | None
    _regexp: Any = None

    def search(self, text: str) -> bool:
        if self._regexp is None:
            return False
        try:
            return self._regexp.search(text) is not None
        except UnicodeEncodeError:  # RE2 reads UTF-8: a lone surrogate becomes "?"
            return self._regexp.search(text.encode("utf-8", "replace").decode()) is not None


@lru_cache(maxsize=256)
def compile_pattern(source: str) -> UserPattern:
    try:
        return UserPattern(source, None, re2.compile(source, _OPTIONS))
    except re2.error as exc:
        return UserPattern(source, _reason(exc))
    except UnicodeEncodeError:
        return UserPattern(source, "the pattern is not valid Unicode (a lone surrogate)")


def problem(source: str) -> str | None:
    """Why RE2 cannot run `source` (e.g. "invalid escape sequence: \\1"), or None."""
    return compile_pattern(source).problem


def _reason(exc: Exception) -> str:
    # RE2 reports its parser's message as bytes.
    raw = exc.args[0] if exc.args else exc
    return raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)
