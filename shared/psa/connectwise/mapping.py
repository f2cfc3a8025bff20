"""R4's fields to and from ConnectWise PSA's contacts and companies.

A contact keeps `firstName`, `lastName`, `title`, `addressLine1` (our street), `city`, `state`, `zip`
and `inactiveFlag`; emails and phones are its `communicationItems`: our email is the
default `Email` item (else the first), every other `Email` item an additional email (they take part
in matching, R8.2); our phone the first item of the `phone_type` setting ("Direct"), our mobile of
`mobile_type` ("Cell") (the type names are each database's own: settings). Nothing for department
(a reference into the database's own department table, not free text), office location, country (a
reference to its country table) or UPN. A company's `website` is its
primary domain (R1.3), `invoiceToEmailAddress` its billing email.

The Entra object id (R8.5) is in the field `entra_id_field` names: `userDefinedField1`..`10`, or a
contact custom field's caption. Facts (R8.4) in custom fields by caption.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from shared.models import ContactFields, PsaClient, PsaContact
from shared.psa.connectwise.records import CwCommunication, CwCompany, CwContact
from shared.psa.fact_fields import FactFields

__all__ = [
    "COMMUNICATED",
    "FIELD_KEYS",
    "HELD_FIELDS",
    "UDF",
    "ContactShape",
    "client_of",
    "company_identifier",
    "contact_of",
    "create_body",
    "patch_ops",
]

FIELD_KEYS = {
    "first_name": "firstName",
    "last_name": "lastName",
    "title": "title",
    "street": "addressLine1",
    "city": "city",
    "state": "state",
    "postal_code": "zip",
}
COMMUNICATED = frozenset({"email", "phone", "mobile"})  # changed through /communications, never patched
HELD_FIELDS = frozenset({*FIELD_KEYS, *COMMUNICATED})
UDF = re.compile(r"userDefinedField([1-9]|10)", re.IGNORECASE)


@dataclass(frozen=True)
class ContactShape:
    """The database's own names: communication types for phone and mobile, and where the Entra id is."""

    facts: FactFields
    phone_type: str = "Direct"
    mobile_type: str = "Cell"
    entra_id_field: str = ""

    @property
    def entra_id_udf(self) -> str | None:
        """`userDefinedFieldN` (as ConnectWise spells it) when the Entra id goes in one."""
        hit = UDF.fullmatch(self.entra_id_field.strip())
        return f"userDefinedField{hit.group(1)}" if hit else None


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def primary_email(record: CwContact) -> CwCommunication | None:
    emails = [i for i in record.communication_items if i.is_email]
    return next((i for i in emails if i.default_flag), next(iter(emails), None))


def first_of_type(record: CwContact, type_name: str) -> CwCommunication | None:
    items = [i for i in record.communication_items if i.of_type(type_name)]
    return next((i for i in items if i.default_flag), next(iter(items), None))


def entra_id_of(record: CwContact, shape: ContactShape) -> str | None:
    udf = shape.entra_id_udf
    if udf:
        return _text(record.user_defined.get(udf)) or None
    if shape.entra_id_field.strip():
        wanted = shape.entra_id_field.strip().lower()
        return next((_text(f.value) or None for f in record.custom_fields if f.caption.lower() == wanted), None)
    return None


def contact_of(record: CwContact, shape: ContactShape) -> PsaContact:
    primary = primary_email(record)
    phone, mobile = first_of_type(record, shape.phone_type), first_of_type(record, shape.mobile_type)
    others = [i.value.strip() for i in record.communication_items if i.is_email and i is not primary and i.value]
    return PsaContact(
        id=str(record.id),
        client_id=str(record.company.id) if record.company and record.company.id is not None else "",
        **{name: _text(getattr(record, _attr(key))) for name, key in FIELD_KEYS.items()},
        email=primary.value.strip() if primary else "",
        additional_emails=others,
        phone=phone.value.strip() if phone else "",
        mobile=mobile.value.strip() if mobile else "",
        active=not record.inactive_flag,
        entra_user_id=entra_id_of(record, shape),
        microsoft=shape.facts.contact_facts(record.custom_values()),
    )


def client_of(record: CwCompany, facts: FactFields) -> PsaClient:
    return PsaClient(
        id=str(record.id),
        name=_text(record.name) or _text(record.identifier) or f"Company {record.id}",
        website=_text(record.website) or None,
        billing_email=_text(record.invoice_to_email_address) or None,
        active=not record.deleted_flag,
        microsoft=facts.client_facts(record.custom_values()),
    )


def create_body(
    company_id: int, fields: ContactFields, entra_user_id: str, shape: ContactShape, custom: list[dict[str, Any]]
) -> dict[str, Any]:
    """A new contact of the company with every field ConnectWise keeps that is not blank (R4.1); its
    email and phones as communication items (taken on create), the Entra id and `custom` values."""
    values = fields.model_dump(by_alias=False)
    body: dict[str, Any] = {key: values[name].strip() for name, key in FIELD_KEYS.items() if values[name].strip()}
    body.setdefault("firstName", values["email"].partition("@")[0] or "Contact")  # ConnectWise requires it
    body["company"] = {"id": company_id}
    body["inactiveFlag"] = False
    items = []
    for kind, type_name in (("email", "Email"), ("phone", shape.phone_type), ("mobile", shape.mobile_type)):
        if values[kind].strip():
            items.append({"type": {"name": type_name}, "value": values[kind].strip(), "defaultFlag": True})
    if values["phone"].strip() and values["mobile"].strip():
        items[-1]["defaultFlag"] = False  # one default phone: the direct line
    if items:
        body["communicationItems"] = items
    udf = shape.entra_id_udf
    if udf:
        body[udf] = entra_user_id
    if custom:
        body["customFields"] = custom
    return body


def patch_ops(changes: Mapping[str, str]) -> list[dict[str, Any]]:
    """JSON-patch `replace` ops for the changed plain fields (emails and phones are not among them)."""
    return [
        {"op": "replace", "path": FIELD_KEYS[name], "value": value}
        for name, value in changes.items()
        if name in FIELD_KEYS
    ]


def company_identifier(name: str, attempt: int = 0) -> str:
    """A company `identifier` from its name: letters and digits, at most 25 characters (ConnectWise's
    limit is unconfirmed; 25 is what its UI takes), a number added on a second try."""
    stem = re.sub(r"[^A-Za-z0-9]", "", name)[:25] or "Company"
    if attempt == 0:
        return stem
    suffix = str(attempt + 1)
    return stem[: 25 - len(suffix)] + suffix


def _attr(key: str) -> str:
    return re.sub(r"([A-Z])", lambda m: "_" + m.group(1).lower(), key)
