"""R4's fields to and from Alga PSA's.

Alga keeps `full_name` (one field: split on the first space when read, compared whole,
`Capabilities.single_name`), `email` plus `additional_email_addresses[]` (they take part in matching,
R8.2), `role` (our title), `phone_numbers[]` (our phone is the first `work` one, our mobile the first
`mobile` one) and `is_inactive`. No address, department, office, country or UPN on contacts, and no
place for a contact's Microsoft facts. A client's facts go in its free-form `properties` under the
names the Syncro integration made familiar (`microsoft_secure_score`, `microsoft_secure_score_max`,
`azure_licensed_user_count`, `azure_active_user_count`); its website is `url`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from shared.models import ClientMicrosoftFacts, ContactFields, PsaClient, PsaContact
from shared.psa.alga.records import AlgaClient, AlgaContact, AlgaPhone

__all__ = [
    "CLIENT_FACT_PROPERTIES",
    "HELD_FIELDS",
    "client_facts_properties",
    "client_of",
    "contact_of",
    "create_body",
    "email_change",
    "join_name",
    "phones_with",
    "website_url",
]

HELD_FIELDS = frozenset({"first_name", "last_name", "email", "phone", "mobile", "title"})
_PHONE_TYPES = {"phone": "work", "mobile": "mobile"}
CLIENT_FACT_PROPERTIES = {
    "secure_score": "microsoft_secure_score",
    "secure_score_max": "microsoft_secure_score_max",
    "licensed_users": "azure_licensed_user_count",
    "active_users": "azure_active_user_count",
}


def join_name(first: str, last: str) -> str:
    return " ".join(f"{first} {last}".split())


def _phone(record: AlgaContact, kind: str) -> str:
    of_kind = [p for p in record.phone_numbers if (p.canonical_type or "").lower() == kind]
    of_kind.sort(key=lambda p: (not p.is_default, p.display_order if p.display_order is not None else 1 << 30))
    return of_kind[0].phone_number.strip() if of_kind else ""


def contact_of(record: AlgaContact) -> PsaContact:
    first, _, last = " ".join(record.full_name.split()).partition(" ")
    return PsaContact(
        id=record.contact_name_id,
        client_id=record.client_id or "",
        first_name=first,
        last_name=last,
        email=record.email.strip(),
        additional_emails=[e.email_address.strip() for e in record.additional_email_addresses if e.email_address],
        title=(record.role or "").strip(),
        phone=_phone(record, "work"),
        mobile=_phone(record, "mobile"),
        active=not record.is_inactive,
    )


def client_of(record: AlgaClient) -> PsaClient:
    website = record.url or str(record.properties.get("website") or "") or None
    return PsaClient(
        id=record.client_id,
        name=record.client_name,
        website=website,
        main_email=record.email or None,
        billing_email=record.billing_email or None,
        active=not record.is_inactive,
        microsoft=_client_facts(record.properties),
    )


def create_body(client_id: str, fields: ContactFields) -> dict[str, Any]:
    body: dict[str, Any] = {
        "full_name": join_name(fields.first_name, fields.last_name) or fields.email.partition("@")[0],
        "email": fields.email.strip(),
        "client_id": client_id,
    }
    if fields.title.strip():
        body["role"] = fields.title.strip()
    phones = [
        {"phone_number": value.strip(), "canonical_type": kind, "is_default": not index}
        for index, (kind, value) in enumerate(
            (kind, value) for kind, value in (("work", fields.phone), ("mobile", fields.mobile)) if value.strip()
        )
    ]
    if phones:
        body["phone_numbers"] = phones
    return body


def phones_with(record: AlgaContact, changes: Mapping[str, str]) -> list[dict[str, Any]]:
    """The contact's whole phone list (a list sent replaces the stored one) with our phone and mobile
    set: the first number of that type gets the new value, or a new number of that type is added."""
    phones: list[AlgaPhone] = list(record.phone_numbers)
    items = [p.as_input() for p in phones]
    for field, kind in _PHONE_TYPES.items():
        if field not in changes:
            continue
        value = changes[field].strip()
        at = next((i for i, p in enumerate(phones) if (p.canonical_type or "").lower() == kind), None)
        if at is not None:
            items[at]["phone_number"] = value
        else:
            items.append({"phone_number": value, "canonical_type": kind, "is_default": not items})
            items[-1]["display_order"] = len(items) - 1
    return items


def email_change(record: AlgaContact, new: str) -> dict[str, Any]:
    """A new primary email by Alga's promotion rule: the old primary is listed among the additional
    emails, so Alga demotes it rather than refusing the change; the new one leaves that list."""
    old = record.email.strip()
    kept = [e.as_input() for e in record.additional_email_addresses if e.email_address.strip().lower() != new.lower()]
    if old and old.lower() != new.lower() and all(e["email_address"].strip().lower() != old.lower() for e in kept):
        demoted: dict[str, Any] = {"email_address": old}
        if record.primary_email_canonical_type:
            demoted["canonical_type"] = record.primary_email_canonical_type
        kept.append(demoted)
    return {"email": new, "additional_email_addresses": kept}


def website_url(website: str | None) -> str | None:
    """Alga wants a URI: a bare domain gets https://."""
    if not website or not website.strip():
        return None
    text = website.strip()
    return text if "://" in text else f"https://{text}"


def client_facts_properties(facts: ClientMicrosoftFacts) -> dict[str, float | int | None]:
    return {key: getattr(facts, name) for name, key in CLIENT_FACT_PROPERTIES.items()}


def _client_facts(properties: Mapping[str, Any]) -> ClientMicrosoftFacts | None:
    values = {name: properties.get(key) for name, key in CLIENT_FACT_PROPERTIES.items()}
    if all(value is None for value in values.values()):
        return None
    try:
        return ClientMicrosoftFacts.model_validate(values)
    except ValueError:
        return None  # edited by hand into something else: written again
