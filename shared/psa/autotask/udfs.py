"""Which of the UDFs named in the settings Autotask has, per entity, from
`GET /V1.0/{Contacts|Companies}/entityInformation/userDefinedFields` (made in Autotask's UI, not by
API), read at most once an hour, and the notes a tenant's run gets for the missing ones (R8.4:
skipped, never a failure). Until the list has been read every named UDF is taken to exist."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping

from shared.psa.http.memory import RunNotebook

__all__ = ["COMPANIES", "CONTACTS", "AutotaskUdfs"]

CONTACTS, COMPANIES = "Contacts", "Companies"
REFRESH_SECONDS = 3600.0


class AutotaskUdfs:
    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._names: dict[str, set[str]] = {}
        self._read_at: dict[str, float] = {}
        self.notes = RunNotebook()

    def stale(self, entity: str) -> bool:
        return self._clock() - self._read_at.get(entity, -REFRESH_SECONDS) >= REFRESH_SECONDS

    def learn(self, entity: str, names: Iterable[str]) -> None:
        self._names[entity] = {name.lower() for name in names if name}
        self._read_at[entity] = self._clock()

    def has(self, entity: str, name: str) -> bool:
        names = self._names.get(entity)
        return names is None or name.lower() in names

    def only_kept(self, client_id: str, entity: str, values: Mapping[str, str]) -> list[dict[str, str]]:
        """`userDefinedFields` items for the values whose UDF exists; a note for each that does not."""
        items = []
        for name, value in values.items():
            if self.has(entity, name):
                items.append({"name": name, "value": value})
            else:
                self.notes.add(client_id, _missing_note(entity, name))
        return items

    def note_missing(self, client_id: str, entity: str, names: Iterable[str]) -> None:
        for name in names:
            if not self.has(entity, name):
                self.notes.add(client_id, _missing_note(entity, name))


def _missing_note(entity: str, name: str) -> str:
    what = "contact" if entity == CONTACTS else "company"
    return (
        f"Autotask has no {what} UDF '{name}' (a Microsoft 365 fact): create it in Autotask (Admin > "
        "User-Defined Fields) to keep it; skipped until then"
    )
