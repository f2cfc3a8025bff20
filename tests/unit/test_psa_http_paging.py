"""Paging to the last page (PSA_CONNECTORS.md: scripts that stop at page one lose contacts)."""

from __future__ import annotations

import pytest

from shared.errors import PsaUnavailable
from shared.psa.http import Page, every_page
from shared.psa.http import paging as paging_module


async def test_every_page_is_read_until_the_vendor_says_it_was_the_last() -> None:
    asked: list[int] = []

    async def fetch(number: int) -> Page[int]:
        asked.append(number)
        return Page(items=[number * 10, number * 10 + 1], more=number < 4)

    assert await every_page(fetch) == [10, 11, 20, 21, 30, 31, 40, 41]
    assert asked == [1, 2, 3, 4]


async def test_an_empty_page_ends_the_list_even_if_the_vendor_says_more() -> None:
    async def fetch(number: int) -> Page[int]:
        return Page(items=[] if number == 2 else [number], more=True)

    assert await every_page(fetch) == [1]


async def test_paging_can_start_at_zero() -> None:
    async def fetch(number: int) -> Page[int]:
        return Page(items=[number], more=number < 1)

    assert await every_page(fetch, first=0) == [0, 1]


async def test_a_vendor_that_never_ends_is_stopped(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(paging_module, "MAX_PAGES", 3)

    async def fetch(number: int) -> Page[int]:
        return Page(items=[number], more=True)

    with pytest.raises(PsaUnavailable, match="more pages"):
        await every_page(fetch)
