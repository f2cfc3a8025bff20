"""The ids the app keys its rows by (tenant, client, user and run ids) must be valid storage keys:
Table keys may not hold / \\ # ? or control characters, nor exceed 1 KiB. The table adapters refuse
any other (`shared.store.entities.check_key`); a use case may check an id it is given first."""

from __future__ import annotations

import re

__all__ = ["is_storage_key"]

_BAD_KEY = re.compile(r"[/\\#?\x00-\x1f\x7f-\x9f]")


def is_storage_key(value: str) -> bool:
    """Whether `value` can be a Table key (not empty, none of / \\ # ? or control characters, at most 512)."""
    return bool(value) and not _BAD_KEY.search(value) and len(value) <= 512
