"""R4's fields to and from Autotask's contacts and companies.

A contact keeps `firstName`, `lastName`, `emailAddress` plus `emailAddress2`, `emailAddress3`
(additional emails: they take part in matching, R8.2), `phone`, `mobilePhone`, `title`,
`addressLine` (our street; `addressLine1` is Autotask's second line, left to the MSP), `city`,
`state`, `zipCode`, `isActive` (1/0: an integer on contacts, a boolean on companies) and
`externalID` (the Entra object id, R8.5). Nothing for department, office location, country (an id
into Autotask's country table) or UPN. A company's `webAddress` is its primary domain (R1.3).

Autotask requires `firstName` and `lastName`: a user with no first name gets the local part of the
email, one with no last name `-` (read back as blank, so it never counts as a change).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from shared.models import ContactFields, PsaClient, PsaContact
from shared.psa.autotask.records import AtCompany, AtContact
from shared.psa.fact_fields import FactFields

__all__ = ["FIELD_KEYS", "HELD_FIELDS", "NO_LAST_NAME", "client_of", "contact_of", "create_body", "patch_body"]

FIELD_KEYS = {
    "first_name": "firstName",
    "last_name": "lastName",
    "email": "emailAddress",
    "phone": "phone",
    "mobile": "mobilePhone",
    "title": "title",
    "street": "addressLine",
    "city": "city",
    "state": "state",
    "postal_code": "zipCode",
}
HELD_FIELDS = frozenset(FIELD_KEYS)
NO_LAST_NAME = "-"


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def contact_of(record: AtContact, facts: FactFields) -> PsaContact:
    last = _text(record.last_name)
    return PsaContact(
        id=str(record.id),
        client_id=str(record.company_id) if record.company_id is not None else "",
        first_name=_text(record.first_name),
        last_name="" if last == NO_LAST_NAME else last,
        email=_text(record.email),
        additional_emails=[e for e in (_text(record.email2), _text(record.email3)) if e],
        phone=_text(record.phone),
        mobile=_text(record.mobile),
        title=_text(record.title),
        street=_text(record.street),
        city=_text(record.city),
        state=_text(record.state),
        postal_code=_text(record.postal_code),
        active=bool(record.is_active) if record.is_active is not None else True,
        entra_user_id=_text(record.external_id) or None,
        microsoft=facts.contact_facts(record.udf_values()),
    )


def client_of(record: AtCompany, facts: FactFields) -> PsaClient:
    return PsaClient(
        id=str(record.id),
        name=_text(record.company_name) or f"Company {record.id}",
        website=_text(record.web_address) or None,
        active=bool(record.is_active) if record.is_active is not None else True,
        microsoft=facts.client_facts(record.udf_values()),
    )


def create_body(company_id: int, fields: ContactFields, entra_user_id: str) -> dict[str, Any]:
    """A new, active contact of the company with every field Autotask keeps that is not blank (R4.1)."""
    values = fields.model_dump(by_alias=False)
    body: dict[str, Any] = {key: values[name].strip() for name, key in FIELD_KEYS.items() if values[name].strip()}
    body.setdefault("firstName", values["email"].partition("@")[0] or "Contact")
    body.setdefault("lastName", NO_LAST_NAME)
    return {"companyID": company_id, **body, "isActive": 1, "externalID": entra_user_id}


def patch_body(contact_id: str, changes: Mapping[str, str]) -> dict[str, Any]:
    """The contact's `id` and only the changed fields (R8.6)."""
    body: dict[str, Any] = {"id": int(contact_id)}
    body |= {FIELD_KEYS[name]: value for name, value in changes.items() if name in FIELD_KEYS}
    if body.get("lastName") == "":
        body["lastName"] = NO_LAST_NAME
    return body
