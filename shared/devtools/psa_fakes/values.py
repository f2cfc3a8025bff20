"""Small value helpers the vendor fakes share: timestamps, the email shape check, paging numbers."""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Iterable, Mapping
from typing import Any

__all__ = ["looks_like_email", "page_count", "unknown_keys", "utc_now_iso"]

_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


def utc_now_iso() -> str:
    """Now as `2026-01-02T03:04:05.678Z`."""
    return dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def looks_like_email(value: str) -> bool:
    return _EMAIL.fullmatch(value) is not None


def page_count(total: int, size: int) -> int:
    """Pages needed for `total` records, `size` a page (0 when there are none)."""
    return math.ceil(total / size) if total else 0


def unknown_keys(record: Mapping[str, Any], allowed: Iterable[str]) -> list[str]:
    allowed_set = set(allowed)
    return sorted(key for key in record if key not in allowed_set)
