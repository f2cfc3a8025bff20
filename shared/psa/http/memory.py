"""What a REST connector remembers between calls: the records it last saw (a PSA's partial update
may still need a field we did not change, e.g. Syncro's required `name`), the custom fields the PSA
turned out not to have, and the notes for a tenant's run."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from typing import Generic, TypeVar

__all__ = ["MissingFields", "RecordCache", "RunNotebook"]

K = TypeVar("K")
V = TypeVar("V")


class RecordCache(Generic[K, V]):
    """The last `size` records seen, by id, the least recently seen dropped first."""

    def __init__(self, size: int = 20_000) -> None:
        self._size = size
        self._items: OrderedDict[K, V] = OrderedDict()
        self._lock = threading.Lock()

    def put(self, key: K, value: V) -> None:
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self._size:
                self._items.popitem(last=False)

    def get(self, key: K) -> V | None:
        with self._lock:
            return self._items.get(key)


class MissingFields:
    """Custom fields the PSA showed it does not have. Each is believed missing for `ttl` seconds, then
    tried again (the MSP may have created it since); the first write after that tells anew."""

    def __init__(self, ttl: float = 6 * 3600, clock: Callable[[], float] = time.monotonic) -> None:
        self._ttl = ttl
        self._clock = clock
        self._since: dict[str, float] = {}
        self._lock = threading.Lock()

    def mark(self, names: Iterable[str]) -> None:
        with self._lock:
            for name in names:
                self._since[name] = self._clock()

    def found(self, names: Iterable[str]) -> None:
        with self._lock:
            for name in names:
                self._since.pop(name, None)

    def missing(self, name: str) -> bool:
        with self._lock:
            since = self._since.get(name)
            if since is None:
                return False
            if self._clock() - since > self._ttl:
                del self._since[name]
                return False
            return True


class RunNotebook:
    """Notes for a client's next tenant result, each said once per run (`take` empties them)."""

    def __init__(self) -> None:
        self._notes: dict[str, dict[str, None]] = {}
        self._lock = threading.Lock()

    def add(self, client_id: str, note: str) -> None:
        with self._lock:
            self._notes.setdefault(client_id, {})[note] = None

    def take(self, client_id: str) -> list[str]:
        with self._lock:
            return list(self._notes.pop(client_id, {}))
