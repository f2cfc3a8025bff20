"""Contact fields from an Entra user (R4.1) and the changes a linked contact needs (R4.2).

Pure. `ContactFields` uses "" for blank, so every value here is a stripped string.
"""

from __future__ import annotations

import hashlib
import json

from shared.models.entra import EntraUser
from shared.models.psa import CONTACT_FIELDS, Capabilities, ContactFields
from shared.models.sync_settings import FieldControls
from shared.sync.identity import email_identity

__all__ = [
    "CONTROLLED_FIELDS",
    "HOLDS_EVERYTHING",
    "contact_fields",
    "field_changes",
    "split_display_name",
    "synced_hash",
]

HOLDS_EVERYTHING = Capabilities()  # a PSA that keeps every field and fact (the built-in directory)

# Field control (FieldControls attribute) -> the contact fields it governs (R4.2).
CONTROLLED_FIELDS: dict[str, tuple[str, ...]] = {
    "name": ("first_name", "last_name"),
    "email": ("email",),
    "phone": ("phone",),
    "mobile": ("mobile",),
    "job_title": ("title",),
    "department": ("department",),
    "office_location": ("office_location",),
    "address": ("street", "city", "state", "postal_code", "country"),
    "upn": ("upn",),
}


def _clean(value: str | None) -> str:
    return (value or "").strip()


def split_display_name(display_name: str | None) -> tuple[str, str]:
    """(first, last) from a display name: "Lee, Jordan" -> ("Jordan", "Lee"); "Jordan M Lee" ->
    ("Jordan", "M Lee"); one word -> (word, "")."""
    name = " ".join(_clean(display_name).split())
    if "," in name:
        last, _, first = name.partition(",")
        return first.strip(), last.strip()
    first, _, last = name.partition(" ")
    return first, last


def contact_fields(user: EntraUser) -> ContactFields:
    """Every field Entra has for the user (R4.1), blanks as ""."""
    first, last = _clean(user.given_name), _clean(user.surname)
    if not first and not last:
        first, last = split_display_name(user.display_name)
    phones = [p.strip() for p in user.business_phones if p and p.strip()]
    return ContactFields(
        first_name=first,
        last_name=last,
        email=email_identity(user) or "",
        phone=phones[0] if phones else "",
        mobile=_clean(user.mobile_phone),
        title=_clean(user.job_title),
        department=_clean(user.department),
        office_location=_clean(user.office_location),
        street=_clean(user.street_address),
        city=_clean(user.city),
        state=_clean(user.state),
        postal_code=_clean(user.postal_code),
        country=_clean(user.country),
        upn=_clean(user.user_principal_name),
    )


def _same(field: str, wanted: str, current: str) -> bool:
    if field == "email":
        return wanted.strip().casefold() == current.strip().casefold()
    return wanted.strip() == current.strip()


def _full_name(fields: ContactFields) -> str:
    return " ".join(f"{fields.first_name} {fields.last_name}".split())


def field_changes(
    wanted: ContactFields,
    current: ContactFields,
    controls: FieldControls,
    capabilities: Capabilities = HOLDS_EVERYTHING,
) -> dict[str, str]:
    """The fields to overwrite on a linked contact (R4.2), in `CONTACT_FIELDS` order.

    A field changes only if its control is on, the PSA can hold it (R8.1), the Entra value is not blank
    (blank never overwrites) and it differs from the contact's: e-mails case-insensitively, other values
    after stripping whitespace. Where the PSA keeps the name as one field (`single_name`), the whole
    names are compared, and a difference changes both halves (the PSA splits its one field its own way).
    """
    allowed = {f for control, names in CONTROLLED_FIELDS.items() if getattr(controls, control) for f in names}
    allowed &= capabilities.fields
    single = capabilities.single_name and {"first_name", "last_name"} & allowed
    changes: dict[str, str] = {}
    for field in CONTACT_FIELDS:
        value: str = getattr(wanted, field)
        if single and field in ("first_name", "last_name"):
            name = _full_name(wanted)
            if name and name != _full_name(current):
                changes[field] = value
            continue
        if field in allowed and value.strip() and not _same(field, value, getattr(current, field)):
            changes[field] = value
    return changes


def synced_hash(fields: ContactFields) -> str:
    """A stable hash of a user's syncable values (kept on the link as `synced_hash`)."""
    canonical = json.dumps(fields.model_dump(by_alias=False), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()
