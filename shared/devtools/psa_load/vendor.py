"""`LoadedPsa`: a vendor's API fake started and loaded with a scenario's PSA data, the id map between
the scenario and the vendor, and the app settings that point the vendor's connector at the fake."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from typing import Any, ClassVar

from shared.devtools.psa_fakes import PsaFake
from shared.devtools.psa_load.held import Held, PsaTally, tally_of
from shared.devtools.psa_load.ids import PsaIds

__all__ = ["SIMULATION_RETRIES", "LoadedPsa"]

# Retries that keep a simulation quick: a throttle or an outage is waited out in tenths of a second,
# and a vendor asking for more than 5 s makes the tenant's attempt fail so the host retries it (R8.7).
# The rate stays the vendor's own (the connector's defaults): the fakes enforce the vendor's limits.
SIMULATION_RETRIES: dict[str, Any] = {
    "retry_attempts": 6,
    "retry_initial_wait_seconds": 0.1,
    "retry_max_wait_seconds": 5.0,
    "timeout_seconds": 10.0,
}


class LoadedPsa(ABC):
    """One vendor's fake with a scenario's clients and contacts in it (see the vendor modules).

    `ids` maps the scenario's ids to the vendor's and back; `notes` says what the vendor could not
    take from the scenario (a field it has no place for, an address it holds once per tenant)."""

    name: ClassVar[str]
    setting: ClassVar[str]  # the nested settings' alias: PSA_SYNCRO, PSA_ALGA

    def __init__(self, fake: PsaFake) -> None:
        self.fake = fake
        self.ids = PsaIds()
        self.notes: list[str] = []

    @abstractmethod
    def connection(self) -> dict[str, Any]:
        """The connector's settings for the fake: base URL and key (and the vendor's extras)."""

    @abstractmethod
    def held(self) -> Held:
        """The fake's clients and contacts as the vendor holds them (read without a request)."""

    def settings(self, overrides: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """App settings for this vendor: its provider, its connection with `SIMULATION_RETRIES` and
        `overrides` (e.g. a rate) over them, one instance (this process is the whole app)."""
        connection = self.connection() | SIMULATION_RETRIES | dict(overrides or {})
        return {"PSA_PROVIDER": self.name, "PSA_MAX_INSTANCES": "1", self.setting: connection}

    def tally(self) -> PsaTally:
        """Everything the fake received so far (the loading goes around its API, so none of it)."""
        return tally_of(self.fake.requests)

    def stop(self) -> None:
        self.fake.stop()


def text(value: Any) -> str:
    """A vendor value as the app's blank-or-text."""
    return "" if value is None else str(value).strip()


def split_name(name: str) -> tuple[str, str]:
    """A vendor's one name field read as first and last: split on the first space."""
    first, _, last = " ".join(name.split()).partition(" ")
    return first, last


def join_name(first: str, last: str) -> str:
    return " ".join(f"{first} {last}".split())
