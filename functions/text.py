"""Text from a request, made safe to log: one line, printable, bounded (no forged log lines)."""

from __future__ import annotations

__all__ = ["printable"]


def printable(text: str, limit: int = 200) -> str:
    """`text` with every control or otherwise unprintable character escaped (a newline becomes `\\n`)."""
    escaped = "".join(ch if ch.isprintable() else ch.encode("unicode_escape").decode("ascii") for ch in text)
    return escaped if len(escaped) <= limit else escaped[:limit] + "..."
