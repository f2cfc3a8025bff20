"""ConnectWise's forward-only paging: each list request asks `pageSize=1000` with the header
`pagination-type: forward-only`, and the next page is the `pageId` in the answer's `Link`
(`rel="next"`), until an answer has no next link. Only `pageId` is taken from the link: the request
keeps going to our own base URL, never to a host a header names."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

__all__ = ["FORWARD_ONLY", "PAGE_SIZE", "next_page_id"]

PAGE_SIZE = 1000  # ConnectWise's largest page
FORWARD_ONLY = {"pagination-type": "forward-only"}
_NEXT = re.compile(r'<([^>]*)>\s*;\s*rel="?next"?', re.IGNORECASE)


def next_page_id(link: str | None) -> str | None:
    """The `pageId` of the `Link` header's next page; None when there is none (the last page).
    A next link without a `pageId` raises ValueError: stopping there would lose the rest."""
    if not link:
        return None
    nexts = list(_NEXT.finditer(link))
    for hit in nexts:
        values = parse_qs(urlsplit(hit.group(1)).query).get("pageId")
        if values and values[-1].strip().isdigit():
            return values[-1].strip()
    if nexts:
        raise ValueError(f"a next page without a pageId: {nexts[0].group(1)[:200]}")
    return None
