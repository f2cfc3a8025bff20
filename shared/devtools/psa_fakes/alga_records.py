"""Alga PSA client and contact records: body keys, field checks, phone and email shaping, and the
primary-email rule.

Shapes follow `psa-specs/alga.json` (`ContactResource`, `ClientEnvelope.data`) and, for the input
items the spec leaves free-form, Alga's zod schemas (server/src/lib/api/schemas/contact.ts): a phone
is `{phone_number, extension?, canonical_type? (work/mobile/home/fax/other), custom_type?,
is_default?, display_order?}`, an additional email `{email_address, canonical_type?
(work/personal/billing/other), custom_type?, display_order?}`. Unknown keys inside those items are
dropped, as zod does for non-strict objects. Guessed: `normalized_phone_number` keeps the digits (and
a leading +); when no phone is marked default the first one is.
"""

from __future__ import annotations

import copy
import uuid
from collections.abc import Callable, Mapping
from typing import Any

from shared.devtools.psa_fakes.values import looks_like_email, utc_now_iso
from shared.devtools.psa_fakes.wire import Refusal

__all__ = [
    "BILLING_CYCLES",
    "CLIENT_BODY_KEYS",
    "CONTACT_BODY_KEYS",
    "AlgaRefusal",
    "apply_client",
    "apply_contact_fields",
    "new_client",
    "new_contact",
    "plan_emails",
]

PHONE_TYPES = ("work", "mobile", "home", "fax", "other")
EMAIL_TYPES = ("work", "personal", "billing", "other")
BILLING_CYCLES = ("weekly", "bi-weekly", "monthly", "quarterly", "semi-annually", "annually")
# The spec's ContactBody and ClientBody properties: anything else is refused (the bodies are strict).
CONTACT_BODY_KEYS = frozenset(
    {
        "full_name",
        "client_id",
        "phone_numbers",
        "email",
        "primary_email_canonical_type",
        "primary_email_custom_type",
        "primary_email_custom_type_id",
        "additional_email_addresses",
        "role",
        "notes",
        "is_inactive",
        "tags",
    }
)
CLIENT_BODY_KEYS = frozenset(
    {
        "client_name",
        "phone_no",
        "email",
        "url",
        "address",
        "client_type",
        "tax_id_number",
        "notes",
        "properties",
        "payment_terms",
        "billing_cycle",
        "credit_limit",
        "default_currency_code",
        "preferred_payment_method",
        "auto_invoice",
        "invoice_delivery_method",
        "region_code",
        "is_tax_exempt",
        "tax_exemption_certificate",
        "timezone",
        "invoice_template_id",
        "billing_contact_id",
        "billing_email",
        "account_manager_id",
        "is_inactive",
        "tags",
    }
)


AlgaRefusal = Refusal  # answered `{"error": {"code", "message", "details"}}` with its status


def invalid(message: str, details: Any = None) -> AlgaRefusal:
    return AlgaRefusal(400, "VALIDATION_ERROR", message, details)


# --- clients -------------------------------------------------------------------------------------


def new_client(client_id: str, tenant: str, body: Mapping[str, Any]) -> dict[str, Any]:
    if not str(body.get("client_name") or "").strip():
        raise invalid("Validation failed: client_name is required")
    if body.get("billing_cycle") not in BILLING_CYCLES:
        raise invalid(f"Validation failed: billing_cycle must be one of {list(BILLING_CYCLES)}")
    now = utc_now_iso()
    record: dict[str, Any] = {
        "client_id": client_id,
        "client_name": "",
        "phone_no": None,
        "credit_balance": 0,
        "email": None,
        "url": None,
        "address": None,
        "created_at": now,
        "updated_at": now,
        "is_inactive": False,
        "client_type": "company",
        "tax_id_number": None,
        "notes": None,
        "properties": {},
        "payment_terms": None,
        "billing_cycle": "monthly",
        "credit_limit": None,
        "preferred_payment_method": None,
        "auto_invoice": False,
        "invoice_delivery_method": None,
        "region_code": None,
        "is_tax_exempt": False,
        "tax_exemption_certificate": None,
        "timezone": None,
        "invoice_template_id": None,
        "billing_contact_id": None,
        "billing_email": None,
        "account_manager_id": None,
        "account_manager_full_name": None,
        "logoUrl": None,
        "tenant": tenant,
        "tags": [],
    }
    apply_client(record, body)
    return record


def apply_client(record: dict[str, Any], body: Mapping[str, Any]) -> None:
    """A partial update: the keys sent replace the stored values (objects and lists whole)."""
    if "client_name" in body and not str(body["client_name"] or "").strip():
        raise invalid("Validation failed: client_name cannot be empty")
    if "billing_cycle" in body and body["billing_cycle"] not in BILLING_CYCLES:
        raise invalid(f"Validation failed: billing_cycle must be one of {list(BILLING_CYCLES)}")
    for key, value in body.items():
        record[key] = copy.deepcopy(value)
    record["updated_at"] = utc_now_iso()


# --- contacts ------------------------------------------------------------------------------------


def new_contact(contact_id: str, tenant: str, body: Mapping[str, Any]) -> dict[str, Any]:
    if not str(body.get("full_name") or "").strip():
        raise invalid("Validation failed: full_name is required")
    email = body.get("email")
    if not isinstance(email, str) or not looks_like_email(email):
        raise invalid("Validation failed: a valid email is required")
    now = utc_now_iso()
    record: dict[str, Any] = {
        "contact_name_id": contact_id,
        "full_name": "",
        "client_id": None,
        "email": email,
        "role": None,
        "created_at": now,
        "updated_at": now,
        "is_inactive": False,
        "tenant": tenant,
        "phone_numbers": [],
        "additional_email_addresses": [],
        "default_phone_number": None,
        "default_phone_type": None,
        "primary_email_canonical_type": None,
        "primary_email_custom_type_id": None,
        "primary_email_type": None,
        "notes": None,
        "avatarUrl": None,
        "tags": [],
    }
    apply_contact_fields(record, body)
    return record  # the additional emails come from `plan_emails`, which checks them


def apply_contact_fields(record: dict[str, Any], body: Mapping[str, Any]) -> None:
    """Every field but the emails (see `plan_emails`); lists sent replace the stored ones."""
    if "full_name" in body:
        name = body["full_name"]
        if not isinstance(name, str) or not name.strip() or len(name) > 255:
            raise invalid("Validation failed: full_name must be 1 to 255 characters")
        record["full_name"] = name
    for key in ("client_id", "role", "notes", "is_inactive"):
        if key in body:
            record[key] = body[key]
    if "tags" in body:
        record["tags"] = list(body["tags"] or [])
    if "primary_email_canonical_type" in body:
        kind = body["primary_email_canonical_type"]
        if kind is not None and kind not in EMAIL_TYPES:
            raise invalid(f"Validation failed: primary_email_canonical_type must be one of {list(EMAIL_TYPES)}")
        record["primary_email_canonical_type"] = record["primary_email_type"] = kind
    if "primary_email_custom_type" in body:
        record["primary_email_type"] = body["primary_email_custom_type"]
    if "phone_numbers" in body:
        record["phone_numbers"] = phone_items(body["phone_numbers"] or [], record["phone_numbers"])
        default = next((p for p in record["phone_numbers"] if p["is_default"]), None)
        record["default_phone_number"] = default["phone_number"] if default else None
        record["default_phone_type"] = (default["canonical_type"] or default["custom_type"]) if default else None
    record["updated_at"] = utc_now_iso()


def phone_items(items: list[Any], existing: list[dict[str, Any]]) -> list[dict[str, Any]]:
    known = {p["contact_phone_number_id"] for p in existing}
    phones = []
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            raise invalid(f"Validation failed: phone_numbers[{index}] must be an object")
        number = item.get("phone_number")
        if not isinstance(number, str) or not number.strip():
            raise invalid(f"Validation failed: phone_numbers[{index}].phone_number is required")
        kind = item.get("canonical_type")
        if kind is not None and kind not in PHONE_TYPES:
            raise invalid(
                f"Validation failed: phone_numbers[{index}].canonical_type must be one of {list(PHONE_TYPES)}"
            )
        given_id = item.get("contact_phone_number_id")
        digits = "".join(ch for ch in number if ch.isdigit())
        phones.append(
            {
                "contact_phone_number_id": given_id if given_id in known else str(uuid.uuid4()),
                "phone_number": number,
                "extension": item.get("extension"),
                "normalized_phone_number": ("+" if number.strip().startswith("+") else "") + digits,
                "canonical_type": kind,
                "custom_phone_type_id": None,
                "custom_type": item.get("custom_type"),
                "is_default": bool(item.get("is_default", False)),
                "display_order": int(item.get("display_order", index)),
            }
        )
    defaults = [p for p in phones if p["is_default"]]
    if len(defaults) > 1:
        raise invalid("Validation failed: only one phone number can be the default")
    if phones and not defaults:
        phones[0]["is_default"] = True
    return phones


def email_items(items: list[Any], existing: list[dict[str, Any]]) -> list[dict[str, Any]]:
    ids = {e["normalized_email_address"]: e["contact_additional_email_address_id"] for e in existing}
    emails = []
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            raise invalid(f"Validation failed: additional_email_addresses[{index}] must be an object")
        address = item.get("email_address")
        if not isinstance(address, str) or not looks_like_email(address):
            raise invalid(f"Validation failed: additional_email_addresses[{index}].email_address must be an email")
        kind = item.get("canonical_type")
        if kind is not None and kind not in EMAIL_TYPES:
            raise invalid(
                f"Validation failed: additional_email_addresses[{index}].canonical_type must be one of "
                f"{list(EMAIL_TYPES)}"
            )
        emails.append(email_entry(address, kind, item.get("custom_type"), int(item.get("display_order", index)), ids))
    return emails


def email_entry(
    address: str, kind: str | None, custom: str | None, order: int, ids: Mapping[str, str]
) -> dict[str, Any]:
    normalized = address.strip().lower()
    return {
        "contact_additional_email_address_id": ids.get(normalized) or str(uuid.uuid4()),
        "email_address": address,
        "normalized_email_address": normalized,
        "canonical_type": kind,
        "custom_email_type_id": None,
        "custom_type": custom,
        "display_order": order,
    }


def plan_emails(
    record: dict[str, Any], body: Mapping[str, Any], owner_of: Callable[[str], str | None]
) -> tuple[str, list[dict[str, Any]]]:
    """The contact's primary email and additional emails after an update, by Alga's rules: a new
    primary must already be an additional email (they swap) or the body must list the old primary
    among `additional_email_addresses` (it is demoted); no address twice on the contact; no address
    held by another contact of the tenant (`owner_of` answers the other holder's id) -> 409 CONFLICT."""
    old = str(record["email"])
    new = body.get("email", old)
    if not isinstance(new, str) or not looks_like_email(new):
        raise invalid("Validation failed: email must be a valid email address")
    current = record["additional_email_addresses"]
    given = body.get("additional_email_addresses")
    additional = email_items(given, current) if given is not None else copy.deepcopy(current)
    if new.strip().lower() != old.strip().lower():
        was_additional = any(e["normalized_email_address"] == new.strip().lower() for e in current)
        demoted = given is not None and any(e["normalized_email_address"] == old.strip().lower() for e in additional)
        if not (was_additional or demoted):
            raise invalid(
                f"The primary email can only change to one of the contact's additional email addresses, or "
                f"with the current primary ({old}) listed in additional_email_addresses to demote it"
            )
        additional = [e for e in additional if e["normalized_email_address"] != new.strip().lower()]
        if not any(e["normalized_email_address"] == old.strip().lower() for e in additional):
            ids = {e["normalized_email_address"]: e["contact_additional_email_address_id"] for e in current}
            additional.append(email_entry(old, record.get("primary_email_canonical_type"), None, len(additional), ids))
    addresses = [new.strip().lower()] + [e["normalized_email_address"] for e in additional]
    if len(set(addresses)) != len(addresses):
        raise invalid("Validation failed: an email address appears more than once on the contact")
    for address in addresses:
        holder = owner_of(address)
        if holder is not None and holder != record["contact_name_id"]:
            raise AlgaRefusal(409, "CONFLICT", f"A contact with email {address} already exists", {"field": "email"})
    return new, additional
