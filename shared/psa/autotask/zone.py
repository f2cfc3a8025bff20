"""Autotask's zone: which of its data centres serves the API user, from
`GET <discovery>/V1.0/zoneInformation?user=<username>` (answers `{"url": ".../ATServicesRest/"}`),
asked once per process and user and kept (a database does not move zones while the app runs; if it
did, its requests would fail and the next process would ask again). The zone's URL must be https
(http on loopback only), as any base URL. Zone lookups do not count against the hourly budget.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable

from shared.psa.autotask.records import AtZone
from shared.psa.http import PsaHttpClient

__all__ = ["ZoneDirectory"]

_zones: dict[tuple[str, str], str] = {}
_zones_lock = threading.Lock()


class ZoneDirectory:
    """The API base URL (`.../ATServicesRest/V1.0`) for one API user."""

    def __init__(
        self, discovery: PsaHttpClient, discovery_url: str, username: str, check_url: Callable[[str], str]
    ) -> None:
        self._discovery = discovery
        self._discovery_url = discovery_url
        self._username = username
        self._check_url = check_url
        self._lock = asyncio.Lock()
        self.lookups = 0

    async def aclose(self) -> None:
        await self._discovery.aclose()

    async def api_url(self) -> str:
        key = (self._discovery_url, self._username.lower())
        with _zones_lock:
            known = _zones.get(key)
        if known is not None:
            return known
        async with self._lock:
            with _zones_lock:
                known = _zones.get(key)
            if known is not None:
                return known
            self.lookups += 1
            answer = await self._discovery.json("GET", "V1.0/zoneInformation", params={"user": self._username})
            zone = self._discovery.shape(AtZone, answer)
            url = self._check_url(zone.url).rstrip("/") + "/V1.0"
            with _zones_lock:
                _zones[key] = url
            return url
