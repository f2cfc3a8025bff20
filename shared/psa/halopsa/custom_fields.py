"""Which of the custom fields named in the settings HaloPSA has (`GET /api/FieldInfo`), learned once
an hour, and the notes a tenant's run gets for the ones it lacks (R8.4: skipped, never a failure).

Halo's custom fields are defined before a value can be saved (a value for an undefined field is
refused). `/FieldInfo` lists them by `name`; whether it tells users' fields from clients' (its
`usage` codes) is unconfirmed, so a name counts as defined whatever table it is on. If it is on the
other table, Halo refuses the write: the connector then writes again without custom fields and this
notebook marks the refused names missing (`MissingFields`, for six hours), so the user never fails.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable

from shared.psa.fact_fields import FactFields
from shared.psa.http.memory import MissingFields, RunNotebook

__all__ = ["HaloCustomFields"]

REFRESH_SECONDS = 3600.0


class HaloCustomFields:
    """The facts' custom fields Halo is known to have (see the module docstring)."""

    def __init__(self, facts: FactFields, clock: Callable[[], float] = time.monotonic) -> None:
        self.facts = facts
        self._clock = clock
        self._defined: set[str] | None = None  # lower-case names; None: not read yet
        self._read_at = -REFRESH_SECONDS
        self._refused = MissingFields(clock=clock)
        self.notes = RunNotebook()

    def stale(self) -> bool:
        return self._clock() - self._read_at >= REFRESH_SECONDS

    def learn(self, names: Iterable[str]) -> None:
        """The names `/FieldInfo` listed."""
        self._defined = {name.strip().lower() for name in names if name.strip()}
        self._read_at = self._clock()

    def refused(self, names: Iterable[str]) -> None:
        """Halo refused a write with these fields: skip them for a while."""
        self._refused.mark(name.lower() for name in names)

    def kept(self, name: str) -> bool:
        lowered = name.lower()
        return (self._defined is None or lowered in self._defined) and not self._refused.missing(lowered)

    def contact_fields(self) -> frozenset[str]:
        """The `MicrosoftFacts` names a contact can keep."""
        return frozenset(fact for fact, name in self.facts.contact.items() if self.kept(name))

    def client_fields(self) -> frozenset[str]:
        return frozenset(fact for fact, name in self.facts.client.items() if self.kept(name))

    def only_kept(self, client_id: str, values: dict[str, str], table: str) -> list[dict[str, str]]:
        """`customfields` items for the values whose field exists; a note for each one that does not."""
        items = []
        for name, value in values.items():
            if self.kept(name):
                items.append({"name": name, "value": value})
            else:
                self.notes.add(client_id, _missing_note(table, name))
        return items

    def note_missing(self, client_id: str) -> None:
        for table, names in (("Users", self.facts.contact.values()), ("Client", self.facts.client.values())):
            for name in names:
                if not self.kept(name):
                    self.notes.add(client_id, _missing_note(table, name))


def _missing_note(table: str, name: str) -> str:
    what = "user" if table == "Users" else "client"
    return (
        f"HaloPSA has no {what} custom field '{name}' (a Microsoft 365 fact): create it in Halo to keep it; "
        "skipped until then"
    )
