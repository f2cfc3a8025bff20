"""PSA clients and contacts, as the app sees them whatever the PSA."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from pydantic import Field

from shared.models.base import WireModel

__all__ = [
    "CONTACT_FIELDS",
    "Capabilities",
    "ClientMicrosoftFacts",
    "ContactFields",
    "MicrosoftFacts",
    "PsaClient",
    "PsaContact",
]


class PsaClient(WireModel):
    id: str
    name: str
    website: str | None = None
    billing_email: str | None = None
    main_email: str | None = None
    domains: list[str] = Field(default_factory=list)  # further domains the PSA records for the client
    active: bool = True
    microsoft: ClientMicrosoftFacts | None = None


class ClientMicrosoftFacts(WireModel):
    secure_score: float | None = None
    secure_score_max: float | None = None
    licensed_users: int | None = None
    active_users: int | None = None
    updated_at: datetime | None = None


class MicrosoftFacts(WireModel):
    """Microsoft 365 facts kept beside a contact; never counted as an update (R4.4)."""

    license: str | None = None
    licenses: list[str] = Field(default_factory=list)
    mfa_registered: bool | None = None
    mfa_methods: list[str] | None = None
    last_sign_in: datetime | None = None
    notes: list[str] = Field(default_factory=list)


class ContactFields(WireModel):
    """The fields the sync writes (SYNC_RULES R4); empty string means blank."""

    first_name: str = ""
    last_name: str = ""
    email: str = ""
    phone: str = ""
    mobile: str = ""
    title: str = ""
    department: str = ""
    office_location: str = ""
    street: str = ""
    city: str = ""
    state: str = ""
    postal_code: str = ""
    country: str = ""
    upn: str = ""


CONTACT_FIELDS: tuple[str, ...] = tuple(ContactFields.model_fields)


class PsaContact(ContactFields):
    id: str
    client_id: str
    additional_emails: list[str] = Field(default_factory=list)
    active: bool = True
    inactive_reason: str | None = None
    entra_user_id: str | None = None
    microsoft: MicrosoftFacts | None = None

    def addresses(self) -> list[str]:
        """Every address of the contact, primary first, lower-cased, without blanks."""
        seen = [self.email, *self.additional_emails]
        return [a.strip().lower() for a in seen if a and a.strip()]


@dataclass(frozen=True)
class Capabilities:
    """What a PSA can hold (R8.1). The planner never writes a field the PSA cannot hold, never counts
    it as an update, and reads it back as blank; the report shows such a field as null."""

    fields: frozenset[str] = frozenset(CONTACT_FIELDS)  # ContactFields names the PSA keeps
    single_name: bool = False  # first and last name are one field: compared and written as one
    contact_fact_fields: frozenset[str] = frozenset(MicrosoftFacts.model_fields)  # facts it keeps
    client_fact_fields: frozenset[str] = frozenset(ClientMicrosoftFacts.model_fields) - {"updated_at"}
    additional_emails: bool = True  # extra addresses that take part in matching (R8.2)
    inactive_flag: bool = True  # False: inactivation is a documented marker (R8.3)
    contact_facts: bool = True  # somewhere to keep a contact's Microsoft facts (R8.4)
    client_facts: bool = True  # somewhere to keep a client's licence counts and Secure Score
    client_website: bool = True  # clients carry a website (R1.3); else suggestions use email domains
    entra_id_field: bool = True  # a contact carries the Entra object id (R8.5)
    bulk: bool = False  # offers BulkContacts: many contacts of one client in a few calls


PsaClient.model_rebuild()
