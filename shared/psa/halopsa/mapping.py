"""R4's fields to and from HaloPSA's users and clients.

A user keeps `firstname`, `surname` (and `name`, the two joined, sent with them), `emailaddress` plus
`email2`, `email3` (additional emails: they take part in matching, R8.2), `phonenumber`,
`mobilenumber`, `title`, `department`, `inactive`, `azureoid` (the Entra object id, R8.5) and
`primary_address`: `line1` our street, `line3` the city, `line4` the state, `postcode` (which line
Halo shows as town and county is unconfirmed: this follows its UK-style address form; `line2` is left
to the MSP). Nothing for office location, country or UPN. A client's `website` and `domain` are both
primary domains (R1.3); `accountsemailaddress` is its billing email.

Every write carries `_dont_fire_automations: true`, so Halo's own rules and webhooks do not echo our
writes back (its effect is unconfirmed; if Halo ignored it, an echo would start one more run of the
tenant, which finds nothing to change).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from shared.models import ContactFields, PsaClient, PsaContact
from shared.psa.fact_fields import FactFields
from shared.psa.halopsa.records import HaloAddress, HaloClient, HaloUser

__all__ = [
    "ADDRESS_LINES",
    "HELD_FIELDS",
    "NO_AUTOMATIONS",
    "USER_KEYS",
    "client_of",
    "contact_of",
    "create_body",
    "join_name",
    "update_body",
]

USER_KEYS = {
    "email": "emailaddress",
    "phone": "phonenumber",
    "mobile": "mobilenumber",
    "title": "title",
    "department": "department",
}
ADDRESS_LINES = {"street": "line1", "city": "line3", "state": "line4", "postal_code": "postcode"}
HELD_FIELDS = frozenset({"first_name", "last_name", *USER_KEYS, *ADDRESS_LINES})
NO_AUTOMATIONS = {"_dont_fire_automations": True}


def join_name(first: str, last: str) -> str:
    return " ".join(f"{first} {last}".split())


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def contact_of(record: HaloUser, facts: FactFields) -> PsaContact:
    first, last = _text(record.firstname), _text(record.surname)
    if not first and not last:  # a user saved with `name` only
        first, _, last = " ".join(_text(record.name).split()).partition(" ")
    address = record.primary_address or HaloAddress()
    return PsaContact(
        id=str(record.id),
        client_id=str(record.client_id) if record.client_id is not None else "",
        first_name=first,
        last_name=last,
        email=_text(record.emailaddress),
        additional_emails=[e for e in (_text(record.email2), _text(record.email3)) if e],
        **{name: _text(getattr(record, key)) for name, key in USER_KEYS.items() if name != "email"},
        **{name: _text(getattr(address, line)) for name, line in ADDRESS_LINES.items()},
        active=not record.inactive,
        entra_user_id=_text(record.azureoid) or None,
        microsoft=facts.contact_facts(record.custom_values()),
    )


def client_of(record: HaloClient, facts: FactFields) -> PsaClient:
    website, domain = _text(record.website), _text(record.domain)
    return PsaClient(
        id=str(record.id),
        name=_text(record.name) or f"Client {record.id}",
        website=website or domain or None,
        billing_email=_text(record.accountsemailaddress) or None,
        domains=[domain] if domain and domain != website else [],
        active=not record.inactive,
        microsoft=facts.client_facts(record.custom_values()),
    )


def create_body(site_id: int, fields: ContactFields, entra_user_id: str) -> dict[str, Any]:
    """A new user on the client's site, with every field Halo keeps that is not blank (R4.1)."""
    values = fields.model_dump(by_alias=False)
    first, last = values["first_name"].strip(), values["last_name"].strip()
    body: dict[str, Any] = {
        "site_id": site_id,
        "name": join_name(first, last) or values["email"].strip(),
        **({"firstname": first} if first else {}),
        **({"surname": last} if last else {}),
        **{key: values[name].strip() for name, key in USER_KEYS.items() if values[name].strip()},
        "azureoid": entra_user_id,
        "inactive": False,
        **NO_AUTOMATIONS,
    }
    address = {line: values[name].strip() for name, line in ADDRESS_LINES.items() if values[name].strip()}
    if address:
        body["primary_address"] = address
    return body


def update_body(user_id: str, changes: Mapping[str, str], current: HaloUser | None) -> dict[str, Any]:
    """Only the changed keys (R8.6), on the user's `id`. A renamed user gets `name` too; a changed
    address line goes with the lines Halo holds now (whether Halo merges a partial `primary_address`
    is unconfirmed, so the object is sent whole). `current` is needed for a rename or an address."""
    body: dict[str, Any] = {"id": int(user_id), **NO_AUTOMATIONS}
    body |= {key: changes[name] for name, key in USER_KEYS.items() if name in changes}
    if "first_name" in changes or "last_name" in changes:
        now = contact_of(current, FactFields({}, {})) if current is not None else None
        first = changes.get("first_name", now.first_name if now else "")
        last = changes.get("last_name", now.last_name if now else "")
        body |= {"firstname": first, "surname": last, "name": join_name(first, last)}
    lines = {line: changes[name] for name, line in ADDRESS_LINES.items() if name in changes}
    if lines:
        held = (current.primary_address if current else None) or HaloAddress()
        body["primary_address"] = {**held.model_dump(exclude_none=True), **lines}
    return body
