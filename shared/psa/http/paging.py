"""Paging to the last page: scripts that read only the first page are a known source of lost
contacts (PSA_CONNECTORS.md), so every list reads until the vendor says there is no more."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

from shared.errors import PsaUnavailable

__all__ = ["MAX_PAGES", "Page", "every_page"]

T = TypeVar("T")
MAX_PAGES = 10_000  # a vendor that never says "last page" is a bug, not a reason to loop forever


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page's items, and whether the vendor says more pages follow."""

    items: list[T]
    more: bool


async def every_page(fetch: Callable[[int], Awaitable[Page[T]]], *, first: int = 1) -> list[T]:
    """The items of pages `first`, `first + 1`, ... until a page says there is no more (or is empty)."""
    items: list[T] = []
    for number in range(first, first + MAX_PAGES):
        page = await fetch(number)
        items.extend(page.items)
        if not page.more or not page.items:
            return items
    raise PsaUnavailable(f"the PSA kept answering more pages past {MAX_PAGES}; listing stopped")
