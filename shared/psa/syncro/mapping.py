"""R4's fields and R8's marks and facts, to and from Syncro's.

Syncro keeps one `name` (split on the first space when read: the planner compares whole names,
`Capabilities.single_name`), `email`, `phone`, `mobile`, `title`, `address1` (our street), `city`,
`state`, `zip`; nothing for department, office, country or UPN, and no additional emails.

Custom fields (`properties`, by field name) carry what Syncro has no field for:
- the inactive mark (R8.3): `azure_account_status` = "Disabled in Microsoft" / "Deleted in
  Microsoft", emptied on reactivation; a contact with any value there reads as inactive;
- contact facts (R8.4): `azure_license`, `azure_mfa_status` (enabled / disabled), `azure_mfa_methods`
  (comma-separated), `azure_last_activity` (ISO 8601, UTC);
- customer facts (R8.4): `microsoft_secure_score` (the current score), `azure_licensed_user_count`,
  `azure_active_user_count`.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from shared.models import ClientMicrosoftFacts, InactiveReason, MicrosoftFacts, PsaClient, PsaContact
from shared.psa.syncro.records import SyncroContact, SyncroCustomer

__all__ = [
    "CONTACT_FACT_PROPERTIES",
    "CUSTOMER_FACT_PROPERTIES",
    "FIELD_KEYS",
    "HELD_FIELDS",
    "INACTIVE_PROPERTY",
    "INACTIVE_WORDING",
    "client_of",
    "contact_fact_properties",
    "contact_of",
    "customer_fact_properties",
    "field_body",
    "inactive_properties",
    "join_name",
]

FIELD_KEYS = {
    "email": "email",
    "phone": "phone",
    "mobile": "mobile",
    "title": "title",
    "street": "address1",
    "city": "city",
    "state": "state",
    "postal_code": "zip",
}
HELD_FIELDS = frozenset({"first_name", "last_name", *FIELD_KEYS})

INACTIVE_PROPERTY = "azure_account_status"
INACTIVE_WORDING = {
    InactiveReason.DISABLED.value: "Disabled in Microsoft",
    InactiveReason.DELETED.value: "Deleted in Microsoft",
}
_REASON_OF = {wording.casefold(): reason for reason, wording in INACTIVE_WORDING.items()}

CONTACT_FACT_PROPERTIES = {
    "license": "azure_license",
    "mfa_registered": "azure_mfa_status",
    "mfa_methods": "azure_mfa_methods",
    "last_sign_in": "azure_last_activity",
}
CUSTOMER_FACT_PROPERTIES = {
    "secure_score": "microsoft_secure_score",
    "licensed_users": "azure_licensed_user_count",
    "active_users": "azure_active_user_count",
}


def join_name(first: str, last: str) -> str:
    return " ".join(f"{first} {last}".split())


def _split_name(name: str | None) -> tuple[str, str]:
    first, _, last = " ".join((name or "").split()).partition(" ")
    return first, last


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def contact_of(record: SyncroContact) -> PsaContact:
    first, last = _split_name(record.name)
    mark = _text(record.properties.get(INACTIVE_PROPERTY))
    return PsaContact(
        id=str(record.id),
        client_id=str(record.customer_id) if record.customer_id is not None else "",
        first_name=first,
        last_name=last,
        email=_text(record.email),
        phone=_text(record.phone),
        mobile=_text(record.mobile),
        title=_text(record.title),
        street=_text(record.address1),
        city=_text(record.city),
        state=_text(record.state),
        postal_code=_text(record.zip),
        active=not mark,
        inactive_reason=_REASON_OF.get(mark.casefold()) if mark else None,
        microsoft=_contact_facts(record.properties),
    )


def client_of(record: SyncroCustomer) -> PsaClient:
    """No website on Syncro customers: the customer's email gives the domain suggestions use (R1.3)."""
    return PsaClient(
        id=str(record.id),
        name=record.display_name,
        main_email=_text(record.email) or None,
        active=not record.disabled,
        microsoft=_customer_facts(record.properties),
    )


def field_body(changes: Mapping[str, str]) -> dict[str, str]:
    """Syncro's keys for the non-name fields in `changes` (ContactFields names); others are dropped."""
    return {FIELD_KEYS[name]: value for name, value in changes.items() if name in FIELD_KEYS}


def inactive_properties(active: bool, reason: str | None) -> dict[str, str]:
    wording = "" if active else INACTIVE_WORDING.get(reason or "", INACTIVE_WORDING[InactiveReason.DISABLED.value])
    return {INACTIVE_PROPERTY: wording}


def contact_fact_properties(facts: MicrosoftFacts) -> dict[str, str]:
    status = "" if facts.mfa_registered is None else ("enabled" if facts.mfa_registered else "disabled")
    methods = "" if facts.mfa_methods is None else ", ".join(facts.mfa_methods)
    seen = facts.last_sign_in.astimezone(UTC).isoformat().replace("+00:00", "Z") if facts.last_sign_in else ""
    return {
        CONTACT_FACT_PROPERTIES["license"]: facts.license or "",
        CONTACT_FACT_PROPERTIES["mfa_registered"]: status,
        CONTACT_FACT_PROPERTIES["mfa_methods"]: methods,
        CONTACT_FACT_PROPERTIES["last_sign_in"]: seen,
    }


def customer_fact_properties(facts: ClientMicrosoftFacts) -> dict[str, str]:
    values = {"secure_score": facts.secure_score, "licensed_users": facts.licensed_users}
    values["active_users"] = facts.active_users
    return {CUSTOMER_FACT_PROPERTIES[name]: "" if value is None else str(value) for name, value in values.items()}


def _contact_facts(properties: Mapping[str, Any]) -> MicrosoftFacts | None:
    values = {name: _text(properties.get(key)) for name, key in CONTACT_FACT_PROPERTIES.items()}
    if not any(values.values()):
        return None
    status = values["mfa_registered"].casefold()
    registered = True if status == "enabled" else False if status == "disabled" else None
    methods = [m.strip() for m in values["mfa_methods"].split(",") if m.strip()]
    return MicrosoftFacts(
        license=values["license"] or None,
        mfa_registered=registered,
        # Methods are known with the status (an empty list then), unknown without it.
        mfa_methods=methods if methods or registered is not None else None,
        last_sign_in=_when(values["last_sign_in"]),
    )


def _customer_facts(properties: Mapping[str, Any]) -> ClientMicrosoftFacts | None:
    score = _number(properties.get(CUSTOMER_FACT_PROPERTIES["secure_score"]))
    licensed = _number(properties.get(CUSTOMER_FACT_PROPERTIES["licensed_users"]))
    active = _number(properties.get(CUSTOMER_FACT_PROPERTIES["active_users"]))
    if score is None and licensed is None and active is None:
        return None
    return ClientMicrosoftFacts(
        secure_score=score,
        licensed_users=int(licensed) if licensed is not None else None,
        active_users=int(active) if active is not None else None,
    )


def _when(text: str) -> datetime | None:
    if not text:
        return None
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        return None
    return when if when.tzinfo is not None else when.replace(tzinfo=UTC)


def _number(value: Any) -> float | None:
    try:
        return float(_text(value)) if _text(value) else None
    except ValueError:
        return None
