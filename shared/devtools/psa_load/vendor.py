"""`LoadedPsa`: a vendor's API fake started and loaded with a scenario's PSA data, the id map between
the scenario and the vendor, and the app settings that point the vendor's connector at the fake."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar, Protocol, Self

from shared.devtools.psa_fakes import LoadedIds, PsaFake
from shared.devtools.psa_load.held import Held, PsaTally, tally_of
from shared.devtools.psa_load.ids import PsaIds
from shared.devtools.simulator.scenario import PsaData
from shared.models import PsaClient, PsaContact

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


class _Loadable(Protocol):
    def load(
        self, clients: Sequence[Mapping[str, Any]] = (), contacts: Sequence[Mapping[str, Any]] = ()
    ) -> LoadedIds[Any]: ...


class LoadedPsa(ABC):
    """One vendor's fake with a scenario's clients and contacts in it (see the vendor modules).

    `ids` maps the scenario's ids to the vendor's and back; `notes` says what the vendor could not
    take from the scenario (a field it has no place for, an address it holds once per tenant).

    A vendor module says how one client and one contact go in (`_client`, `_contact`: the vendor's
    body) and come back (`_client_of`, `_contact_of`); loading and reading back are the same for all."""

    name: ClassVar[str]
    setting: ClassVar[str]  # the nested settings' alias: PSA_SYNCRO, PSA_ALGA
    fake_type: ClassVar[type[PsaFake]]
    unheld: ClassVar[frozenset[str]]  # contact fields the vendor has no place for
    unheld_facts: ClassVar[frozenset[str]]  # Microsoft facts it has no place for

    def __init__(self, fake: PsaFake) -> None:
        self.fake = fake
        self.ids = PsaIds()
        self.notes: list[str] = []

    @classmethod
    def start(cls, psa: PsaData, **options: Any) -> Self:
        """The vendor's fake started (with `options`, e.g. `page_size=`) and loaded with `psa`."""
        loaded = cls(cls.fake_type(**options).start())
        try:
            loaded._prepare()
            loaded._load(psa)
        except BaseException:
            loaded.stop()
            raise
        return loaded

    def _prepare(self) -> None:  # noqa: B027  # a hook: Syncro and Alga need nothing defined first
        """What an MSP defines in the vendor before any data (the connector's custom fields)."""

    def _load(self, psa: PsaData) -> None:
        """Clients, then contacts, through the fake's `load`, which numbers them in the order given."""
        fake: _Loadable = self.fake  # type: ignore[assignment]  # every vendor's fake has `load`
        clients = fake.load(clients=[self._client(c) for c in psa.clients]).clients
        for client, vendor_id in zip(psa.clients, clients, strict=True):
            self.ids.add("client", client.id, str(vendor_id))
        taken = [(contact, body) for contact in psa.contacts if (body := self._contact(contact)) is not None]
        contacts = fake.load(contacts=[body for _, body in taken]).contacts
        for (contact, _), vendor_id in zip(taken, contacts, strict=True):
            self.ids.add("contact", contact.id, str(vendor_id))

    @abstractmethod
    def connection(self) -> dict[str, Any]:
        """The connector's settings for the fake: base URL and key (and the vendor's extras)."""

    @abstractmethod
    def _client(self, client: PsaClient) -> dict[str, Any]:
        """The scenario's client as the vendor's body (noting what it drops)."""

    @abstractmethod
    def _contact(self, contact: PsaContact) -> dict[str, Any] | None:
        """The scenario's contact as the vendor's body (noting what it drops; None, noted: the vendor
        cannot take it at all); its client is loaded."""

    @abstractmethod
    def _client_of(self, record: Mapping[str, Any]) -> PsaClient:
        """A client the fake holds, named by scenario ids."""

    @abstractmethod
    def _contact_of(self, record: Mapping[str, Any]) -> PsaContact:
        """A contact the fake holds, named by scenario ids."""

    def held(self) -> Held:
        """The fake's clients and contacts as the vendor holds them (read without a request)."""
        clients = [self._client_of(record) for record in self.fake.clients()]
        contacts = [self._contact_of(record) for record in self.fake.contacts()]
        return Held(clients, contacts, self.unheld, self.unheld_facts)

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
