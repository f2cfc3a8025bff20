"""What a PSA holds, read back for reports and tests: its clients and contacts in the report's ids, the
fields it cannot hold (null in a report, R8.1), and what its API was asked to do (`PsaTally`)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from shared.devtools.psa_fakes import RequestRecord
from shared.models import PsaClient, PsaContact

__all__ = ["WRITE_METHODS", "Held", "PsaTally", "is_write", "tally_of"]

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_QUERY = re.compile(r"/query(/next|/count)?/?$")


@dataclass(frozen=True)
class Held:
    """The PSA's clients and contacts as it holds them, named by the scenario's ids where the scenario
    gave one (the PSA's own id otherwise). `unheld`: `PsaContact` fields the PSA has no place for
    (reported as null); `unheld_facts`: `MicrosoftFacts` fields likewise. A PSA without additional
    emails reads them back as [] (SCENARIOS.md), a PSA without contact facts as `microsoft` None."""

    clients: list[PsaClient]
    contacts: list[PsaContact]
    unheld: frozenset[str] = frozenset()
    unheld_facts: frozenset[str] = frozenset()

    def contact(self, contact_id: str) -> PsaContact:
        found = [c for c in self.contacts if c.id == contact_id]
        if not found:
            raise KeyError(f"the PSA holds no contact {contact_id!r}")
        return found[0]

    def of_client(self, client_id: str) -> list[PsaContact]:
        return sorted((c for c in self.contacts if c.client_id == client_id), key=lambda c: c.id)


@dataclass(frozen=True)
class PsaTally:
    """What the app asked of the PSA's API: `requests` every request sent (retries too), `writes` the
    write calls (POST/PUT/PATCH/DELETE) the PSA answered, each once however often it was retried (an
    attempt answered 429, 5xx or not at all is not counted: its retry is the same call), `throttled`
    the answers that asked the app to slow down (429)."""

    requests: int = 0
    writes: int = 0
    throttled: int = 0

    def __sub__(self, other: PsaTally) -> PsaTally:
        return PsaTally(self.requests - other.requests, self.writes - other.writes, self.throttled - other.throttled)


def is_write(record: RequestRecord) -> bool:
    """A request that may change what the PSA holds: POST, PUT, PATCH, DELETE, but not a query sent as a
    POST (Autotask's `/query`, `/query/next`, `/query/count`)."""
    return record.method in WRITE_METHODS and _QUERY.search(record.path) is None


def tally_of(records: Iterable[RequestRecord]) -> PsaTally:
    requests = writes = throttled = 0
    for record in records:
        requests += 1
        throttled += record.status == 429
        answered = record.status != 0 and record.status != 429 and record.status < 500
        writes += is_write(record) and answered
    return PsaTally(requests, writes, throttled)
