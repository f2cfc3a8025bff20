"""Set-up shared by the connector suites (`test_<vendor>_connector.py`): a vendor's API fake checked
when its test ends, settings that point the vendor's connector at the fake, the connector built and
closed, a stored contact looked up, and Ann, the sample contact, with her Microsoft facts."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from datetime import UTC, datetime
from typing import Any, Protocol, TypeVar

from shared.config import Settings, load_settings
from shared.devtools.psa_fakes import AlgaFake, PsaFake
from shared.devtools.psa_load import VENDORS
from shared.models import ContactFields, MicrosoftFacts
from shared.psa.registry import build_connector
from tests.integration.psa_http import FAST_RETRIES, Recording

__all__ = ["ADDRESS", "ann", "checked", "connected", "connector_settings", "facts", "stored"]


class _Closing(Protocol):
    async def aclose(self) -> None: ...


FakeT = TypeVar("FakeT", bound=PsaFake)
ConnectorT = TypeVar("ConnectorT", bound=_Closing)  # every REST connector closes its HTTP client


@contextmanager
def checked(fake: FakeT, *, allow_put: bool = True) -> Iterator[FakeT]:
    """`fake` started for the block; when the block ends, every request it took must have conformed to
    the vendor's spec, none may have been a DELETE (nothing is ever deleted in a PSA) and, with
    `allow_put=False`, none a PUT (a PUT blanks what it does not send)."""
    with fake as started:
        yield started
        started.assert_conformant()
        assert started.deletes == [], f"DELETE sent to the {started.vendor} fake: {started.deletes}"
        if not allow_put:
            puts = started.request_count(method="PUT")
            assert puts == 0, f"{puts} PUT request(s) sent to the {started.vendor} fake"


# Our own pacing out of the way where a vendor's limit has keys of its own (`FAST_RETRIES` has the
# others'; Autotask's budget is the loader's): the fakes still enforce the vendor's limits.
_PACE: dict[str, dict[str, Any]] = {"halopsa": {"rate_limit_requests": 100_000}}


def connector_settings(fake: PsaFake, **extra: Any) -> Settings:
    """Settings for the fake's vendor: the connection the scenario loader uses (without ConnectWise's
    Entra id field: a test names its own, or none), one instance, `FAST_RETRIES` (a vendor's settings
    ignore the keys they do not have), and `extra` connection settings over them."""
    vendor = VENDORS[fake.vendor](fake)
    connection = vendor.connection()
    connection.pop("entra_id_field", None)
    connection |= _PACE.get(vendor.name, {}) | FAST_RETRIES | extra
    return load_settings(PSA_PROVIDER=vendor.name, PSA_MAX_INSTANCES="1", **{vendor.setting: connection})


@asynccontextmanager
async def connected(
    kind: type[ConnectorT], settings: Settings, transport: Recording | None = None
) -> AsyncIterator[ConnectorT]:
    """The connector `settings` name, which must be a `kind`, closed when the block ends."""
    connector = build_connector(settings, transport=transport)
    assert isinstance(connector, kind), f"{type(connector).__name__} built, not {kind.__name__}"
    try:
        yield connector
    finally:
        await connector.aclose()


def stored(fake: PsaFake, contact_id: str) -> dict[str, Any]:
    """The one contact record the fake holds with the id `contact_id` (Alga's: `contact_name_id`)."""
    key = "contact_name_id" if isinstance(fake, AlgaFake) else "id"
    [record] = [c for c in fake.contacts() if str(c[key]) == contact_id]
    return record


# Ann's address beyond her city: each suite adds it (and any field of its own) where its vendor holds one.
ADDRESS = {"street": "1 High St", "state": "West Yorkshire", "postal_code": "LS1 1AA"}


def ann(**fields: str) -> ContactFields:
    """Ann Lee of Northwind, a buyer in Sales in Leeds, with `fields` over that."""
    base = {
        "first_name": "Ann",
        "last_name": "Lee",
        "email": "ann@northwind.example",
        "phone": "+44 20 7946 0000",
        "mobile": "+44 7700 900000",
        "title": "Buyer",
        "department": "Sales",
        "city": "Leeds",
    }
    return ContactFields(**{**base, **fields})


def facts(**fields: Any) -> MicrosoftFacts:
    """Ann's Microsoft facts: a licence, MFA with two methods, a last sign-in; `fields` added."""
    return MicrosoftFacts(
        license="Microsoft 365 Business Premium",
        mfa_registered=True,
        mfa_methods=["microsoftAuthenticatorPush", "sms"],
        last_sign_in=datetime(2026, 4, 1, 9, 30, tzinfo=UTC),
        **fields,
    )
