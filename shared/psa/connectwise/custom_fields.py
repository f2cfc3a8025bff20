"""ConnectWise custom fields by caption: their ids, learned from the records the API renders (every
record lists every custom field defined for its kind, value or not), and the notes a tenant's run
gets for the captions the database lacks (R8.4: skipped, never a failure).

ConnectWise has no endpoint in the spec extract that lists field definitions, so until a contact (or
company) has been read the connector reads one (`pageSize=1`); a database without any contact yet
keeps no facts until it has one. A caption the records show no field for is missing. ConnectWise
replaces `customFields` whole on update, so a write sends every field of the record with ours set.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping
from typing import Any

from shared.psa.connectwise.records import CwCustomField
from shared.psa.http.memory import RunNotebook

__all__ = ["CwCustomFields"]

CONTACT, COMPANY = "contact", "company"


class CwCustomFields:
    """Caption -> id, per kind ("contact", "company"), as the records showed them."""

    def __init__(self) -> None:
        self._ids: dict[str, dict[str, int]] = {}
        self._lock = threading.Lock()
        self.notes = RunNotebook()

    def known(self, kind: str) -> bool:
        with self._lock:
            return kind in self._ids

    def learn(self, kind: str, fields: Iterable[CwCustomField]) -> None:
        """The fields a record of `kind` rendered (all of those defined for its kind)."""
        with self._lock:
            self._ids[kind] = {f.caption.lower(): f.id for f in fields if f.caption}

    def has(self, kind: str, caption: str) -> bool:
        """True while unknown: the planner plans the fact, and the write finds out."""
        with self._lock:
            ids = self._ids.get(kind)
            return ids is None or caption.lower() in ids

    def whole_array(
        self, client_id: str, kind: str, current: Iterable[CwCustomField], values: Mapping[str, Any]
    ) -> list[dict[str, Any]] | None:
        """The record's whole `customFields` with `values` (caption -> value) set: None when none of
        the captions exists (a note each), else every field, ours replaced, the others as they are."""
        with self._lock:
            ids = dict(self._ids.get(kind, {}))
        wanted = {}
        for caption, value in values.items():
            field_id = ids.get(caption.lower())
            if field_id is None:
                self.notes.add(client_id, _missing_note(kind, caption))
            else:
                wanted[field_id] = value
        if not wanted:
            return None
        fields = [{"id": f.id, "value": wanted.pop(f.id, f.value)} for f in current]
        return fields + [{"id": field_id, "value": value} for field_id, value in wanted.items()]

    def note_missing(self, client_id: str, kind: str, captions: Iterable[str]) -> None:
        for caption in captions:
            if not self.has(kind, caption):
                self.notes.add(client_id, _missing_note(kind, caption))


def _missing_note(kind: str, caption: str) -> str:
    return (
        f"ConnectWise PSA has no {kind} custom field '{caption}': create it (Setup Tables > Custom Fields) "
        "to keep that value; skipped until then"
    )
